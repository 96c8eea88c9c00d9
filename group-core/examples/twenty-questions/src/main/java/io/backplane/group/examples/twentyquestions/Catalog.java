package io.backplane.group.examples.twentyquestions;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The replicated database of the twenty-questions service: things with attributes ("kind=animal
 * color=grey legs=4"), in the order they were added. Every member holds all of it; queries are split
 * among members by rank. It is a log (each thing remembers the group message that added it, 0 for the
 * built-in ones), so a member can write the database as of any earlier point for a joiner.
 */
final class Catalog {
    /** One thing; {@code addedAt} is the per-group sequence number of the message that added it (0: built in). */
    record Thing(String name, Map<String, String> attributes, long addedAt) {
        boolean matches(Map<String, String> question) {
            for (Map.Entry<String, String> q : question.entrySet()) {
                if (!q.getValue().equals(attributes.get(q.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        String line() {
            StringBuilder b = new StringBuilder().append(addedAt).append('\t').append(name);
            attributes.forEach((k, v) -> b.append('\t').append(k).append('=').append(v));
            return b.append('\n').toString();
        }
    }

    private static final String[] BUILT_IN = {
        "elephant kind=animal color=grey size=large legs=4 habitat=land",
        "mouse kind=animal color=grey size=small legs=4 habitat=land",
        "flamingo kind=animal color=pink size=medium legs=2 habitat=water",
        "crow kind=animal color=black size=small legs=2 habitat=air",
        "whale kind=animal color=blue size=large legs=0 habitat=water",
        "ladybird kind=animal color=red size=small legs=6 habitat=air",
        "fox kind=animal color=red size=medium legs=4 habitat=land",
        "spider kind=animal color=black size=small legs=8 habitat=land",
        "goldfish kind=animal color=orange size=small legs=0 habitat=water",
        "polar-bear kind=animal color=white size=large legs=4 habitat=land",
        "tomato kind=vegetable color=red size=small legs=0 habitat=land",
        "carrot kind=vegetable color=orange size=small legs=0 habitat=land",
        "pumpkin kind=vegetable color=orange size=large legs=0 habitat=land",
        "cabbage kind=vegetable color=green size=medium legs=0 habitat=land",
        "seaweed kind=vegetable color=green size=medium legs=0 habitat=water",
        "oak kind=vegetable color=green size=large legs=0 habitat=land",
        "beetroot kind=vegetable color=red size=small legs=0 habitat=land",
        "lily kind=vegetable color=white size=small legs=0 habitat=water",
        "ruby kind=mineral color=red size=small legs=0 habitat=land",
        "coal kind=mineral color=black size=small legs=0 habitat=land",
        "salt kind=mineral color=white size=small legs=0 habitat=water",
        "granite kind=mineral color=grey size=large legs=0 habitat=land",
        "emerald kind=mineral color=green size=small legs=0 habitat=land",
        "sapphire kind=mineral color=blue size=small legs=0 habitat=land",
        "iceberg kind=mineral color=white size=large legs=0 habitat=water",
        "gold kind=mineral color=yellow size=small legs=0 habitat=land",
        "sulphur kind=mineral color=yellow size=small legs=0 habitat=land",
        "coral kind=animal color=pink size=medium legs=0 habitat=water",
        "canary kind=animal color=yellow size=small legs=2 habitat=air",
        "banana kind=vegetable color=yellow size=small legs=0 habitat=land",
    };

    private final List<Thing> things = new ArrayList<>();

    /** The database a group starts with (its founder, or every member after the state was lost). */
    static Catalog builtIn() {
        Catalog c = new Catalog();
        for (String s : BUILT_IN) {
            c.things.add(parseThing(s, 0));
        }
        return c;
    }

    /** "name attr=value ..." */
    static Thing parseThing(String text, long addedAt) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length < 2 || parts[0].contains("=")) {
            throw new IllegalArgumentException("a thing is: name attr=value [attr=value ...], got '" + text + "'");
        }
        return new Thing(parts[0], parseQuestion(text.trim().substring(parts[0].length())), addedAt);
    }

    /** "attr=value attr=value" (all must hold). */
    static Map<String, String> parseQuestion(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : text.trim().split("\\s+")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new IllegalArgumentException("expected attr=value, got '" + p + "'");
            }
            out.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return out;
    }

    void add(Thing t) {
        things.add(t);
    }

    int size() {
        return things.size();
    }

    List<Thing> things() {
        return List.copyOf(things);
    }

    /** The names matching {@code question} among the things of partition {@code part} of {@code parts}. */
    List<String> search(Map<String, String> question, int part, int parts) {
        List<String> out = new ArrayList<>();
        for (int i = part; i < things.size(); i += parts) {
            if (things.get(i).matches(question)) {
                out.add(things.get(i).name());
            }
        }
        return out;
    }

    /** The database as of the group's first {@code cut} messages: every donor writes the same bytes. */
    byte[] asOf(long cut) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Thing t : things) {
            if (t.addedAt() <= cut) {
                b.writeBytes(t.line().getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toByteArray();
    }

    static Catalog fromBytes(byte[] bytes) {
        Catalog c = new Catalog();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t");
            Map<String, String> attrs = new LinkedHashMap<>();
            for (int i = 2; i < f.length; i++) {
                int eq = f[i].indexOf('=');
                attrs.put(f[i].substring(0, eq), f[i].substring(eq + 1));
            }
            c.things.add(new Thing(f[1], attrs, Long.parseLong(f[0])));
        }
        return c;
    }
}
