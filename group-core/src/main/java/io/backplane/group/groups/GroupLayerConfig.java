package io.backplane.group.groups;

import java.util.EnumSet;
import java.util.Set;

/**
 * Bounds of one {@link GroupLayer}, validated once.
 *
 * @param requestQueueMax     group requests (multicasts, joins, leaves) waiting to be handed to the engine;
 *                            beyond it a request is {@link GroupEffect.Rejected}
 * @param directoryBacklogMax LAN deliveries a newly joined process holds until the group directory
 *                            arrives; beyond it the process stops (it is a bug or a misconfiguration: the
 *                            directory is the first thing the donor sends in a view)
 * @param groupMembersMax     members per group; a group's flush progress is a bit mask over member ranks
 * @param stateChunkBytesMax  bytes a donor's application writes per state-transfer chunk (the joiner pulls
 *                            one chunk at a time, so this is also what one transfer holds in flight)
 * @param plantedBugs         test-only deliberate bugs
 */
public record GroupLayerConfig(int requestQueueMax, int directoryBacklogMax, int groupMembersMax,
                               int stateChunkBytesMax, Set<GroupPlantedBug> plantedBugs) {
    /** Default chunk: large enough that a request per chunk costs little on a LAN, small enough to interleave. */
    public static final int STATE_CHUNK_BYTES_DEFAULT = 1 << 20;

    public GroupLayerConfig(int requestQueueMax, int directoryBacklogMax, int groupMembersMax,
                            Set<GroupPlantedBug> plantedBugs) {
        this(requestQueueMax, directoryBacklogMax, groupMembersMax, STATE_CHUNK_BYTES_DEFAULT, plantedBugs);
    }

    public GroupLayerConfig {
        plantedBugs = plantedBugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(plantedBugs));
        if (requestQueueMax <= 0) {
            throw new IllegalArgumentException("requestQueueMax must be > 0, was " + requestQueueMax);
        }
        if (directoryBacklogMax <= 0) {
            throw new IllegalArgumentException("directoryBacklogMax must be > 0, was " + directoryBacklogMax);
        }
        if (stateChunkBytesMax <= 0 || stateChunkBytesMax > GroupCodec.LENGTH_MAX / 2) {
            throw new IllegalArgumentException("stateChunkBytesMax must be in 1.." + GroupCodec.LENGTH_MAX / 2
                    + ", was " + stateChunkBytesMax);
        }
        if (groupMembersMax <= 0 || groupMembersMax > 64) {
            throw new IllegalArgumentException("groupMembersMax must be in 1..64, was " + groupMembersMax);
        }
    }

    public static GroupLayerConfig defaults() {
        return new GroupLayerConfig(65536, 1 << 20, 64, Set.of());
    }

    public GroupLayerConfig withPlantedBugs(Set<GroupPlantedBug> bugs) {
        return new GroupLayerConfig(requestQueueMax, directoryBacklogMax, groupMembersMax, stateChunkBytesMax, bugs);
    }

    public GroupLayerConfig withStateChunkBytesMax(int bytes) {
        return new GroupLayerConfig(requestQueueMax, directoryBacklogMax, groupMembersMax, bytes, plantedBugs);
    }

    public boolean has(GroupPlantedBug bug) {
        return plantedBugs.contains(bug);
    }
}
