package com.pactcrm.connector.bitrix24;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.NodeBrowserTests;
import com.pactcrm.connector.testsupport.PactFake.FakeMessage;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Bitrix24 frames in a real browser: the connector runs with its Bitrix24 portal fake and Pact fake, the
 * portal is installed, and {@code widget/ui/test/bitrix24.test.js} (headless Chromium through playwright-core,
 * found by {@code widget/harness/chromium.js}) opens a harness page on the portal fake's origin that POSTs the
 * frame form into an iframe as Bitrix24 does. Afterwards the Pact fake and the portal are checked. Screenshots land
 * in {@code target/screenshots/}. Skipped only with {@code -Dwidget.test.skip=true}, like the widget's other Node
 * tests; Maven installs their npm packages.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24BrowserIT extends Bitrix24TestBase {

    /** The browser must reach the service on the host the connector believes is its own (the Origin check). */
    static final int PORT = freePort();
    static final String DEAL = "8063";
    static final String TEXT = "Olá João, aqui é o Carlos da Acme";

    @Override
    Map<String, String> extraProperties() {
        return Map.of("micronaut.server.port", Integer.toString(PORT), "connector.public-url", "http://localhost:" + PORT);
    }

    @Test
    void theDealTabAndTheAppPageShowTheConnectorUiInsideThePortal() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("widget.test.skip"), "widget tests skipped (-Dwidget.test.skip=true)");
        Installation installation = installWithPact();
        b24.putDeal(DEAL, "9001", "7");
        b24.putContact("9001", "+55 11 98765-4321");
        b24.putUser(1, "Marina", "Costa", "marina@acme.com.br", true, "employee");
        b24.putUser(7, "Carlos", "Pereira", "carlos@acme.com.br", true, "employee");

        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTOR_URL", "http://localhost:" + PORT);
        env.put("B24_PORTAL", "http://" + b24.host());
        env.put("B24_DOMAIN", b24.host());
        env.put("B24_MEMBER_ID", Bitrix24Fake.MEMBER_ID);
        env.put("B24_ADMIN_AUTH", b24.userToken(Bitrix24Fake.INSTALLER_USER));
        env.put("B24_MANAGER_AUTH", b24.userToken("7"));
        env.put("B24_DEAL", DEAL);
        env.put("B24_TEXT", TEXT);
        env.put("SCREENSHOT_DIR", Path.of("target/screenshots").toAbsolutePath().toString());
        env.put("PACT_HOOK_KEY", installation.pactHookKey());
        env.put("PACT_WEBHOOK_FIXTURES", Path.of("src/test/resources/fixtures/pact-webhooks").toAbsolutePath().toString());
        Path upload = Files.createTempDirectory("b24-upload").resolve("proposta.pdf");
        Files.writeString(upload, "%PDF-1.4\n% proposta\n");
        env.put("B24_UPLOAD", upload.toString());

        NodeBrowserTests.Run run = NodeBrowserTests.run("ui/test/bitrix24.test.js", env);
        assertEquals(0, run.exitCode(), "browser tests failed:\n" + run.output());
        String output = run.output();
        assertTrue(output.contains("# pass 5"), output);

        List<FakeMessage> sent = pact.messages().stream().filter(m -> TEXT.equals(m.text())).toList();
        assertEquals(1, sent.size(), "one write-first message from the deal's tab");
        assertTrue(sent.get(0).writeFirst());
        FakeMessage reply = pact.messages().stream().filter(m -> "Segue a proposta".equals(m.text())).findFirst().orElseThrow();
        assertEquals(sent.get(0).conversationId(), reply.conversationId(), "the reply went into the conversation");
        assertTrue(reply.attachmentId() != null, "with the PDF attached");
        assertEquals(1, pact.messagesWithText("Segue a proposta"));
        assertEquals("5511987654321", sent.get(0).phone());
        // One status comment per message sent from the tab: the write first and the reply.
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", DEAL).size() == 2);
        assertEquals(installation.id(), installation().id(), "the frames did not create another installation");
        // The first-run step stored what the admin picked (issue 15).
        JsonNode stored = new ObjectMapper().readTree(installation().settings());
        assertEquals("lead", stored.at("/newClientStages/default/entity").asText(), stored.toString());
        assertEquals("IN_PROCESS", stored.at("/newClientStages/default/stageId").asText());
        assertEquals("roundRobin", stored.path("newClientResponsible").asText());
        assertEquals("7", stored.at("/roundRobinUsers/0").asText());
        assertEquals(45, stored.path("unansweredTaskMinutes").asInt());
        assertTrue(stored.path("firstRunDone").asBoolean());
        for (String screen : List.of("bitrix24-deal-tab-pt", "bitrix24-deal-tab-reply-pt", "bitrix24-app-settings-pt", "bitrix24-app-users-pt",
                "bitrix24-app-refused-pt", "bitrix24-first-run-pt")) {
            assertTrue(Files.size(Path.of("target/screenshots", screen + ".png")) > 1000, screen);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
