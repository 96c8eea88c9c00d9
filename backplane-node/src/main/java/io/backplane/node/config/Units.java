package io.backplane.node.config;

import java.util.Locale;

/** Parsing of sizes ("1MiB", "512KiB", "1000") and durations ("500ms", "30s", "24h", "7d"). */
final class Units {
    private Units() {
    }

    static long bytes(String text, String setting) {
        String s = text.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        long multiplier = 1;
        String[][] suffixes = {{"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"},
                {"gb", "1000000000"}, {"mb", "1000000"}, {"kb", "1000"}, {"b", "1"}};
        for (String[] suffix : suffixes) {
            if (lower.endsWith(suffix[0])) {
                multiplier = Long.parseLong(suffix[1]);
                s = s.substring(0, s.length() - suffix[0].length()).trim();
                break;
            }
        }
        try {
            long value = Long.parseLong(s);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ConfigException(setting + " must be a size such as 1048576, 512KiB or 1GiB, was '" + text + "'");
        }
    }

    static long millis(String text, String setting) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        String[][] suffixes = {{"ms", "1"}, {"s", "1000"}, {"m", "60000"}, {"h", "3600000"}, {"d", "86400000"}};
        for (String[] suffix : suffixes) {
            if (s.endsWith(suffix[0])) {
                try {
                    long value = Long.parseLong(s.substring(0, s.length() - suffix[0].length()).trim());
                    if (value < 0) {
                        break;
                    }
                    return Math.multiplyExact(value, Long.parseLong(suffix[1]));
                } catch (NumberFormatException | ArithmeticException e) {
                    break;
                }
            }
        }
        throw new ConfigException(setting + " must be a duration such as 500ms, 30s, 15m, 24h or 7d, was '" + text + "'");
    }
}
