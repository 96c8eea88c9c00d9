package io.backplane.group.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Seeds that once failed, each named for the bug the simulator found with it. */
class RegressionSeedsTest {

    private static void passes(long seed) {
        SimResult r = Simulation.run(seed, Simulation.Mode.BOTH);
        assertThat(r.violations()).as(r.scenario().describe()).isEmpty();
    }

    @Test
    void seed26_flushSuspicionsLapseSoACoordinatorCutOffByAPartitionTriesAgainAfterHealing() {
        passes(26);
    }

    @Test
    void seed283_anExcludedSequencersOwnAbcastOrderDoesNotBindTheSurvivors() {
        passes(283);
    }

    @Test
    void seed352_membersFrozenByAnAbandonedBallotMakeTheCoordinatorFinishAViewChange() {
        passes(352);
    }

    @Test
    void seed520_gracefulLeaversCountTowardTheMajorityOfTheFlushThatRemovesThem() {
        passes(520);
    }

    @Test
    void seed1068_aJoinRequestFromASupersededIncarnationDoesNotLinger() {
        passes(1068);
    }

    @Test
    void stressSeed50494_aLeaverThatNeverGetsItsCommitStillReportsLeftSoTheMajorityIsVisible() {
        SimResult r = Simulation.run(SimScenario.fromSeed(50494, SimScenario.Profile.STRESS), Simulation.Mode.BOTH);
        assertThat(r.violations()).as(r.scenario().describe()).isEmpty();
    }

    @Test
    void stressSeeds62777And64940_aViewChangeAdmitsFewerJoinersThanItKeepsSoDeadJoinersCannotSinkItsMajority() {
        for (long seed : new long[] {62777, 64940}) {
            SimResult r = Simulation.run(SimScenario.fromSeed(seed, SimScenario.Profile.STRESS), Simulation.Mode.BOTH);
            assertThat(r.violations()).as(r.scenario().describe()).isEmpty();
        }
    }

    @Test
    void seed7423_aJoinerKeepsNoChannelStateSoBeingAddedDroppedAndReaddedCannotDesynchroniseChannels() {
        passes(7423);
    }

    @Test
    void stressSeed101044_aDelayedFrameOfAnEarlierChannelToAReaddedPeerIsNotTakenForTheNewChannelsFrame() {
        stressPasses(101044);
    }

    @Test
    void seed504047_aJoinerIgnoresACommitForAViewThatAlreadyEndedAndAMemberStuckBehindIsRemoved() {
        passes(504047);
    }

    @Test
    void stressSeed310862_aMemberWhoseOldViewAllRestartedProbesEveryNodeAndLearnsItWasExcluded() {
        stressPasses(310862);
    }

    @Test
    void stressSeed309885_aLeaveDoesNotLeaveOneOldMemberWithAJoinerThatDiedLongAgo() {
        stressPasses(309885);
    }

    @Test
    void stressSeed212281_theCheckerCountsAcceptsNotMembersKeptSoACorrectReproposalIsNotAFalseAlarm() {
        stressPasses(212281);
    }

    private static void stressPasses(long seed) {
        SimResult r = Simulation.run(SimScenario.fromSeed(seed, SimScenario.Profile.STRESS), Simulation.Mode.BOTH);
        assertThat(r.violations()).as(r.scenario().describe()).isEmpty();
    }
}
