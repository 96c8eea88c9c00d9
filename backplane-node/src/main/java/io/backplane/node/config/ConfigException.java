package io.backplane.node.config;

/** A bad flag, config file or setting; the message is the one line printed before exiting. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
