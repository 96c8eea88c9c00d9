package io.backplane.node.topic;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A posted body already encoded as the tail of an envelope:
 * {@code "contentType":"…","payload":…} (plus {@code "encoding":"base64"} for binary bodies).
 *
 * <p>It is built on the event loop that received the post, so the single sequencing thread only
 * concatenates bytes (CONTRACT.md §3 rules for JSON, text and non-UTF-8 bodies live here).
 */
public final class Payload {
    public static final String JSON = "application/json";
    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private final byte[] contentTypeJson;
    private final byte[] envelopeTail;

    private Payload(byte[] contentTypeJson, byte[] envelopeTail) {
        this.contentTypeJson = contentTypeJson;
        this.envelopeTail = envelopeTail;
    }

    /**
     * Rebuilds a payload from its two encoded parts, as another node encoded them (replication ships
     * the parts, so a replica builds byte-identical envelopes without parsing the body again).
     */
    public static Payload fromEncoded(byte[] contentTypeJson, byte[] envelopeTail) {
        return new Payload(contentTypeJson, envelopeTail);
    }

    /** The content type as a JSON string literal, quotes included. */
    public byte[] contentTypeJson() {
        return contentTypeJson;
    }

    /** {@code "contentType":…,"payload":…[,"encoding":"base64"]} without braces. */
    public byte[] envelopeTail() {
        return envelopeTail;
    }

    /** Size of the stored form, for limits and metrics. */
    public int sizeBytes() {
        return envelopeTail.length;
    }

    /**
     * Encodes an HTTP body. JSON content types must carry exactly one valid JSON value; any other
     * content type is kept as text when the bytes are UTF-8, else as base64.
     *
     * @throws BadPayloadException when a JSON body does not parse
     */
    public static Payload fromBody(String contentType, byte[] body) {
        String type = contentType == null || contentType.isBlank() ? "application/octet-stream" : contentType.trim();
        byte[] typeJson = jsonString(type);
        if (isJsonType(type)) {
            validateSingleJsonValue(body);
            return new Payload(typeJson, concat(field(typeJson), ",\"payload\":", trimAscii(body), ""));
        }
        // A declared charset is honoured for text types; anything else is UTF-8 text or base64.
        String text = decodeText(body, type.regionMatches(true, 0, "text/", 0, 5) ? charsetOf(type) : StandardCharsets.UTF_8);
        if (text != null) {
            return new Payload(typeJson, concat(field(typeJson), ",\"payload\":", jsonString(text), ""));
        }
        byte[] base64 = jsonString(Base64.getEncoder().encodeToString(body));
        return new Payload(typeJson, concat(field(typeJson), ",\"payload\":", base64, ",\"encoding\":\"base64\""));
    }

    /** Encodes a JSON value posted over the websocket (already parsed, so known valid). */
    public static Payload fromJsonValue(byte[] jsonValue) {
        byte[] typeJson = jsonString(JSON);
        return new Payload(typeJson, concat(field(typeJson), ",\"payload\":", jsonValue, ""));
    }

    /** Encodes text posted over the websocket with a non-JSON content type. */
    public static Payload fromText(String contentType, String text) {
        byte[] typeJson = jsonString(contentType);
        return new Payload(typeJson, concat(field(typeJson), ",\"payload\":", jsonString(text), ""));
    }

    public static boolean isJsonType(String contentType) {
        String base = contentType;
        int semi = base.indexOf(';');
        if (semi >= 0) {
            base = base.substring(0, semi);
        }
        base = base.trim().toLowerCase(java.util.Locale.ROOT);
        return base.equals(JSON) || base.endsWith("+json");
    }

    private static void validateSingleJsonValue(byte[] body) {
        // RFC 8259 allows no raw control character anywhere (in strings they are escaped, between
        // tokens only tab, LF and CR). Checked first because Jackson ends a root-level value at a NUL
        // byte and reports nothing after it: 3 NUL 3 would pass, and be stored as invalid JSON.
        for (int i = 0; i < body.length; i++) {
            byte b = body[i];
            if (b >= 0 && b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
                throw new BadPayloadException(String.format("body is not valid JSON: control character 0x%02x at byte %d", b, i));
            }
        }
        try (JsonParser parser = JSON_FACTORY.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new BadPayloadException("body is empty but Content-Type is JSON");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new BadPayloadException("body holds more than one JSON value");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadPayloadException("body is not valid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new BadPayloadException("body is not valid JSON");
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "parse error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static boolean isJsonWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private static byte[] trimAscii(byte[] body) {
        int start = 0;
        int end = body.length;
        while (start < end && isJsonWhitespace(body[start])) {
            start++;
        }
        while (end > start && isJsonWhitespace(body[end - 1])) {
            end--;
        }
        return start == 0 && end == body.length ? body : java.util.Arrays.copyOfRange(body, start, end);
    }

    /** The {@code charset} parameter of a content type, UTF-8 when absent or unknown. */
    private static java.nio.charset.Charset charsetOf(String contentType) {
        for (String param : contentType.split(";")) {
            String p = param.trim();
            if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                String name = p.substring(8).trim().replace("\"", "");
                try {
                    return java.nio.charset.Charset.forName(name);
                } catch (IllegalArgumentException e) {
                    return StandardCharsets.UTF_8;
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    private static String decodeText(byte[] body, java.nio.charset.Charset charset) {
        try {
            return charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A JSON string literal (quotes included) for arbitrary text. */
    public static byte[] jsonString(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
        try (JsonGenerator generator = JSON_FACTORY.createGenerator(out)) {
            generator.writeString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, String b, byte[] c, String d) {
        byte[] bb = b.getBytes(StandardCharsets.US_ASCII);
        byte[] db = d.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[a.length + bb.length + c.length + db.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(bb, 0, out, a.length, bb.length);
        System.arraycopy(c, 0, out, a.length + bb.length, c.length);
        System.arraycopy(db, 0, out, a.length + bb.length + c.length, db.length);
        return out;
    }

    private static final byte[] CONTENT_TYPE_FIELD = "\"contentType\":".getBytes(StandardCharsets.US_ASCII);

    private static byte[] field(byte[] typeJson) {
        byte[] out = new byte[CONTENT_TYPE_FIELD.length + typeJson.length];
        System.arraycopy(CONTENT_TYPE_FIELD, 0, out, 0, CONTENT_TYPE_FIELD.length);
        System.arraycopy(typeJson, 0, out, CONTENT_TYPE_FIELD.length, typeJson.length);
        return out;
    }
}
