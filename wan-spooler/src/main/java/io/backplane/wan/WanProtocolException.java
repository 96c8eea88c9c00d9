package io.backplane.wan;

/** Bytes on a WAN link that no spooler of ours wrote (bad magic, unknown type, bad length): the link is closed. */
public final class WanProtocolException extends RuntimeException {
    public WanProtocolException(String message) {
        super(message);
    }
}
