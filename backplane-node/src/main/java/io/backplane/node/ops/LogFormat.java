package io.backplane.node.ops;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format json}: the stdout appender of logback.xml writes one JSON object per line
 * (logback's own JsonEncoder: timestamp, level, thread, logger, formatted message, throwable) instead
 * of the text pattern, for log shippers that parse JSON. Lines the node prints itself
 * ({@code listening …}, {@code ready}) stay plain: scripts and orchestrators wait for them.
 */
public final class LogFormat {
    private LogFormat() {
    }

    /** Applies "text" (the logback.xml default, nothing to do) or "json". */
    public static void apply(String format) {
        if (!"json".equals(format) || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> appender = root.getAppender("STDOUT");
        if (!(appender instanceof OutputStreamAppender<ILoggingEvent> stdout)) {
            return;
        }
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        // One compact line per event: what happened and where; the logger context, sequence numbers
        // and raw arguments add bytes without telling an operator more.
        encoder.setWithContext(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithArguments(false);
        encoder.setWithMessage(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        stdout.stop();
        stdout.setEncoder(encoder);
        stdout.start();
    }
}
