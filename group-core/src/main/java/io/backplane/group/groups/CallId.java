package io.backplane.group.groups;

import io.backplane.group.protocol.ProcessId;

/**
 * Names one group RPC everywhere: the calling process incarnation, the group called and the caller's
 * request id. Repliers answer with it ({@link GroupLayer#reply}); it carries the group so a replier keeps
 * no per-call state.
 */
public record CallId(ProcessId caller, long groupId, long seq) {
    @Override
    public String toString() {
        return "call(" + caller + ":" + seq + "->g" + groupId + ")";
    }
}
