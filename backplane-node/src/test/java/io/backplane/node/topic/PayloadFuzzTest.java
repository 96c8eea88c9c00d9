package io.backplane.node.topic;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

/**
 * Every REST post body goes through {@link Payload#fromBody}, and its output is spliced into the
 * stored envelope as raw bytes. For any content type and body it must either refuse with
 * {@link BadPayloadException} (a 400) or produce an envelope that is one well-formed JSON object whose
 * {@code contentType} is the one declared — a body or a content type must never break out of its field.
 */
class PayloadFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TYPES = {"application/json", "text/plain", "text/plain; charset=ISO-8859-1",
            "application/octet-stream", "application/vnd.x+json", "text/csv; charset=utf-16", ""};

    @FuzzTest(maxDuration = "60s")
    void fromBody(FuzzedDataProvider data) throws Exception {
        String type = data.consumeBoolean() ? data.pickValue(TYPES) : data.consumeString(64);
        byte[] body = data.consumeRemainingAsBytes();
        Payload p;
        try {
            p = Payload.fromBody(type, body);
        } catch (BadPayloadException refused) {
            return;
        }
        byte[] tail = p.envelopeTail();
        byte[] envelope = new byte[tail.length + 2];
        envelope[0] = '{';
        System.arraycopy(tail, 0, envelope, 1, tail.length);
        envelope[envelope.length - 1] = '}';
        JsonNode parsed;
        try {
            parsed = JSON.readTree(envelope);
        } catch (Exception e) {
            throw new AssertionError("type " + java.util.Arrays.toString(type.getBytes(StandardCharsets.UTF_8)) + " body " + java.util.Arrays.toString(body) + " envelope " + java.util.Arrays.toString(envelope), e);
        }
        assertThat(parsed.isObject()).as("envelope of %s", new String(envelope, StandardCharsets.UTF_8)).isTrue();
        String declared = type == null || type.isBlank() ? "application/octet-stream" : type.trim();
        assertThat(parsed.path("contentType").asText()).isEqualTo(declared);
        assertThat(parsed.has("payload")).isTrue();
        assertThat(JSON.readTree(p.contentTypeJson()).asText()).isEqualTo(declared);
    }
}
