package io.backplane.node;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import io.backplane.node.support.TestNode;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node serves the web console at {@code /} (files under {@code /console/}) and nothing else
 * changes: API routes, {@code /health} and {@code /metrics} answer as before, and unknown paths or
 * methods still get the contract's JSON errors, never an HTML page.
 */
class ConsoleRoutesTest {
    private static TestNode node;
    private static String base;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        base = node.baseUrl();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void rootServesTheConsoleIndexAsHtml() {
        Response r = given().baseUri(base).get("/");
        r.then().statusCode(200)
                .header("Content-Type", startsWith("text/html"))
                .header("Content-Type", containsString("charset=UTF-8"))
                .body(containsString("<title>Backplane console</title>"))
                .body(containsString("src=\"console/js/main.js\""));
    }

    @Test
    void assetsHaveTheirContentTypesAndAreRevalidatedRatherThanCachedBlindly() {
        given().baseUri(base).get("/console/js/main.js").then().statusCode(200)
                .header("Content-Type", startsWith("text/javascript"))
                .header("Cache-Control", equalTo("no-cache"));
        given().baseUri(base).get("/console/console.css").then().statusCode(200)
                .header("Content-Type", startsWith("text/css"));
        given().baseUri(base).get("/console/favicon.svg").then().statusCode(200)
                .header("Content-Type", startsWith("image/svg+xml"));
        String lastModified = given().baseUri(base).get("/").then().statusCode(200)
                .header("Cache-Control", equalTo("no-cache")).extract().header("Last-Modified");
        assertThat(lastModified).as("a validator for conditional requests").isNotBlank();
        given().baseUri(base).header("If-Modified-Since", lastModified).get("/").then().statusCode(304);
        // HEAD answers like GET without the body (StaticHandler leaves Content-Type out of a HEAD answer).
        given().baseUri(base).head("/").then().statusCode(200).header("Last-Modified", equalTo(lastModified));
    }

    @Test
    void apiRoutesAreUnaffected() {
        given().baseUri(base).contentType("application/json").body("{\"bid\":1}")
                .post("/api/v1/topics/CONSOLE/ROUTES").then().statusCode(201).body("seq", equalTo(1));
        given().baseUri(base).get("/api/v1/topics").then().statusCode(200)
                .header("Content-Type", startsWith("application/json")).body("topics.topic", hasItem("/CONSOLE/ROUTES"));
        given().baseUri(base).get("/api/v1/topics/CONSOLE/ROUTES/messages?fromSeq=1").then().statusCode(200)
                .body("messages[0].payload.bid", equalTo(1));
        given().baseUri(base).get("/api/v1/cluster").then().statusCode(200).body("node", equalTo("n1"));
        given().baseUri(base).get("/api/v1/wan/links").then().statusCode(200).body("links.size()", equalTo(0));
        given().baseUri(base).get("/health").then().statusCode(200).body("status", equalTo("UP"));
        given().baseUri(base).get("/metrics").then().statusCode(200)
                .header("Content-Type", startsWith("text/plain")).body(containsString("backplane_posts_total"));
        given().baseUri(base).get("/api/v1/ws").then().statusCode(400).body("error", equalTo("bad-request"));
    }

    @Test
    void unknownPathsAndMethodsStillGetContractJsonErrors() {
        for (String path : new String[] {"/nope", "/api/v1/nope", "/console/nope.js", "/console/../pom.xml", "/index.html"}) {
            given().baseUri(base).get(path).then().statusCode(404)
                    .header("Content-Type", startsWith("application/json"))
                    .body("error", equalTo("not-found"));
        }
        given().baseUri(base).post("/").then().statusCode(405)
                .header("Content-Type", startsWith("application/json"))
                .body("error", equalTo("method-not-allowed"));
        given().baseUri(base).contentType("application/json").body("1").post("/api/v1/topics/GENEVA//IBM")
                .then().statusCode(400).body("error", equalTo("bad-topic"));
    }
}
