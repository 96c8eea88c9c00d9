package io.backplane.group.runtime;

/**
 * A process's membership status as gossiped by the transport (HELLO and STATUS frames, docs/WIRE.md):
 * what the founding rule needs to know of its peers.
 *
 * @param code   one of {@link #JOINING}, {@link #MEMBER}, {@link #UNAVAILABLE}, {@link #GONE}
 * @param viewId the installed view's id, 0 while joining
 */
public record MemberStatus(byte code, long viewId) {
    /** A new incarnation waiting for a view. */
    public static final byte JOINING = 0;
    /** In a view and available (part of a primary partition). */
    public static final byte MEMBER = 1;
    /** In a view but unable to make progress (a minority, or a view change that cannot finish). */
    public static final byte UNAVAILABLE = 2;
    /** Left, excluded or stopped. */
    public static final byte GONE = 3;

    public static final MemberStatus JOINING_STATUS = new MemberStatus(JOINING, 0);

    public MemberStatus {
        if (code < JOINING || code > GONE) {
            throw new IllegalArgumentException("unknown member status " + code);
        }
        if (viewId < 0) {
            throw new IllegalArgumentException("view id must be >= 0, was " + viewId);
        }
    }

    public String codeName() {
        return switch (code) {
            case JOINING -> "JOINING";
            case MEMBER -> "MEMBER";
            case UNAVAILABLE -> "UNAVAILABLE";
            default -> "GONE";
        };
    }

    @Override
    public String toString() {
        return codeName() + (viewId == 0 ? "" : "@v" + viewId);
    }
}
