package com.pactcrm.connector.bitrix24;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Attacks on a portal's installation by people who are not Bitrix24 or that portal's administrator: each sends the
 * attack to the running service, expects a plain 4xx problem, and checks that nothing was stored, changed or sent
 * (the installation row, the outbox and journal, the portal's and Pact's request logs).
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24TrustIT extends Bitrix24TestBase {

    private static final String MANAGER = "7";
    private static final String ATTACKER_APPLICATION_TOKEN = "0badc0de0badc0de0badc0de0badc0de";
    /** What a verification may ask the portal: who holds the token. Anything else is a change or a leak. */
    private static final Set<String> WHO_IS_IT = Set.of("user.current", "user.admin", "app.info");

    private Installation installation;

    @BeforeEach
    void installedPortal() {
        b24.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        installation = installWithPact();
    }

    @Test
    void onAppUpdateWithAManagersFrameTokenReplacesNothing() {
        Unchanged unchanged = new Unchanged();
        String managersFrameToken = b24.userToken(MANAGER);

        HttpResponse<String> r = postEvent(appUpdate(managersFrameToken, ATTACKER_APPLICATION_TOKEN));

        assertRefused(401, r);
        unchanged.verify();
        assertEquals(401, postEvent(Bitrix24Fake.event("app-uninstall", "")
                .replace(Bitrix24Fake.APPLICATION_TOKEN, ATTACKER_APPLICATION_TOKEN)).statusCode(),
                "the attacker's application_token cannot uninstall");
        assertEquals(401, postForm("/bitrix24/messageservice", Bitrix24Fake.fixture("messageservice-send.txt").strip()
                .replace("{{ID}}", "forged-1").replace(Bitrix24Fake.APPLICATION_TOKEN, ATTACKER_APPLICATION_TOKEN))
                .statusCode(), "nor send messages through the company's Pact");
        unchanged.verify();
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "8061")).statusCode(),
                "Bitrix24's own events still authenticate");
    }

    @Test
    void onAppUpdateWithAnotherApplicationsAdministratorTokenReplacesNothing() {
        Unchanged unchanged = new Unchanged();

        HttpResponse<String> r = postEvent(appUpdate(b24.foreignApplicationToken(Bitrix24Fake.INSTALLER_USER),
                ATTACKER_APPLICATION_TOKEN));

        assertRefused(401, r);
        unchanged.verify();
    }

    @Test
    void onAppUpdateWithATokenOfAnotherPortalIsNeverSentAnywhereButTheStoredPortal() {
        Unchanged unchanged = new Unchanged();
        String forged = appUpdate("token-of-another-portal", ATTACKER_APPLICATION_TOKEN)
                .replace("acme.bitrix24.com.br", "evil.example.com");

        assertRefused(401, postEvent(forged));

        unchanged.verify();
        assertTrue(b24.calls().stream().allMatch(c -> c.host().equals(b24.host())));
    }

    @Test
    void onAppUpdateFromAnAdministratorOfThisApplicationReplacesTheToken() {
        String newToken = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

        HttpResponse<String> r = postEvent(appUpdate(b24.userToken(Bitrix24Fake.INSTALLER_USER), newToken));

        assertEquals(200, r.statusCode(), r.body());
        assertEquals(newToken, cipher.decrypt(installation().applicationTokenEnc()));
    }

    @Test
    void theInstallerPostedWithAManagersOwnRefreshTokenOverwritesNothing() {
        Unchanged unchanged = new Unchanged();

        HttpResponse<String> r = installerFrame(b24.userRefreshToken(MANAGER), ATTACKER_APPLICATION_TOKEN);

        assertRefused(403, r);
        unchanged.verify();
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "8061")).statusCode(),
                "Bitrix24's own events still authenticate");
    }

    @Test
    void onAppInstallWithAManagersOwnRefreshTokenOverwritesNothing() {
        Unchanged unchanged = new Unchanged();

        HttpResponse<String> r = postEvent(Bitrix24Fake.event("app-install", "")
                .replace("{{REFRESH}}", b24.userRefreshToken(MANAGER))
                .replace(Bitrix24Fake.APPLICATION_TOKEN, ATTACKER_APPLICATION_TOKEN));

        assertRefused(403, r);
        unchanged.verify();
    }

    @Test
    void aManagerCannotInstallThePortalFirstEither() {
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        b24.reset();
        int portalCalls = b24.calls().size();

        assertRefused(403, installerFrame(b24.userRefreshToken(MANAGER), ATTACKER_APPLICATION_TOKEN));

        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'BITRIX24'"));
        assertEquals(0, b24.bindCalls());
        assertTrue(b24.calls().subList(portalCalls, b24.calls().size()).stream()
                .allMatch(c -> c.cmds().stream().allMatch(cmd -> WHO_IS_IT.contains(cmd.split("\\?")[0]))));
    }

    @Test
    void anInstallWhoseBindingsThePortalRefusesStoresNothing() {
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        b24.reset();
        b24.refusePlacements();

        HttpResponse<String> r = installFrame(Bitrix24Fake.MEMBER_ID);

        assertEquals(502, r.statusCode(), r.body());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'BITRIX24'"),
                "the portal is stored only once its events and placements are bound");
    }

    @Test
    void anotherApplicationsTokenOpensNoSessionAndNoFrame() {
        Unchanged unchanged = new Unchanged();
        String foreignAdminToken = b24.foreignApplicationToken(Bitrix24Fake.INSTALLER_USER);

        HttpResponse<String> session = postJson("/api/v1/sessions/bitrix24", "{\"AUTH_ID\":\"" + foreignAdminToken
                + "\",\"DOMAIN\":\"" + b24.host() + "\",\"member_id\":\"" + Bitrix24Fake.MEMBER_ID + "\"}");
        Map<String, String> frame = new LinkedHashMap<>();
        frame.put("AUTH_ID", foreignAdminToken);
        frame.put("member_id", Bitrix24Fake.MEMBER_ID);
        frame.put("PLACEMENT", "CRM_DEAL_DETAIL_TAB");
        frame.put("PLACEMENT_OPTIONS", "{\"ID\":\"8061\"}");
        HttpResponse<String> tab = postForm("/bitrix24/placement?DOMAIN=" + b24.host() + "&PROTOCOL=0&LANG=br", encode(frame));
        HttpResponse<String> appPage = postForm("/bitrix24/app?DOMAIN=" + b24.host() + "&PROTOCOL=0&LANG=br", encode(frame));

        for (HttpResponse<String> r : List.of(session, tab, appPage)) {
            assertRefused(401, r);
            assertFalse(r.body().contains("token\""), r.body());
            assertTrue(r.headers().firstValue("Location").isEmpty());
        }
        unchanged.verify();
        HttpResponse<String> ours = postJson("/api/v1/sessions/bitrix24", "{\"AUTH_ID\":\"" + b24.userToken(MANAGER)
                + "\",\"DOMAIN\":\"" + b24.host() + "\",\"member_id\":\"" + Bitrix24Fake.MEMBER_ID.toUpperCase() + "\"}");
        assertEquals(200, ours.statusCode(), "this application's frame token still opens a session: " + ours.body());
    }

    @Test
    void oversizedChunkedAndMalformedBodiesAreRefusedBeforeAnyoneLooksAtThem() {
        Unchanged unchanged = new Unchanged();
        String event = Bitrix24Fake.event("deal-update", "8061");

        assertRefused(413, postEvent(event + "&data[FIELDS][PAD]=" + "x".repeat(300 * 1024)));
        assertRefused(411, send(HttpRequest.newBuilder(URI.create(server.getURL() + "/bitrix24/events"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(event.getBytes(UTF_8))))
                .build()));
        for (String memberId : List.of("", "ABC", "4f8d0c7e2b1a93d5e6f708192837465", "g".repeat(32), "x".repeat(5000),
                Bitrix24Fake.MEMBER_ID + "0", "4f8d0c7e-2b1a-93d5-e6f7-081928374655")) {
            assertRefused(400, postEvent(event.replace(Bitrix24Fake.MEMBER_ID, memberId)));
            assertRefused(400, postForm("/bitrix24/install?DOMAIN=" + b24.host(), "member_id=" + memberId
                    + "&REFRESH_ID=" + b24.currentRefreshToken() + "&APPLICATION_TOKEN=" + ATTACKER_APPLICATION_TOKEN));
        }
        unchanged.verify();

        assertEquals(200, postEvent(event.replace(Bitrix24Fake.MEMBER_ID, "%20" + Bitrix24Fake.MEMBER_ID.toUpperCase()))
                .statusCode(), "another spelling of the same member_id is the same portal");
        assertEquals(1, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()));
    }

    @Test
    void writeFirstToADealThatIsNotInThePortalSendsNothing() throws Exception {
        b24.putDeal("8063", "9001", MANAGER);
        String session = managerSession();
        Unchanged unchanged = new Unchanged();

        HttpResponse<String> r = api("POST", "/api/v1/chats", session, startChat("b24-ghost-1", "987654"));

        assertRefused(404, r);
        for (String id : List.of("9223372036854775808", "99999999999999999999", "-5", "0", "08063", "8063 ", "1e3")) {
            assertRefused(400, api("POST", "/api/v1/chats", session, startChat("b24-bad-" + id.strip(), id)));
            assertRefused(400, api("GET", "/api/v1/context?entityType=deal&entityId=" + URLEncoder.encode(id, UTF_8),
                    session, null));
            assertRefused(400, api("GET", "/api/v1/chats?entityType=deal&entityId=" + URLEncoder.encode(id, UTF_8),
                    session, null));
        }
        unchanged.verifyButPortalReads();
        HttpResponse<String> real = api("POST", "/api/v1/chats", session, startChat("b24-real-1", "8063"));
        assertEquals(200, real.statusCode(), "a deal the portal has gets its message: " + real.body());
        assertEquals(1, pact.messagesWithText("Olá, aqui é a Marina"));
    }

    @Test
    void aPortalRedirectOutsideBitrix24IsNotFollowedAndNotStored() {
        WireMockServer elsewhere = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        elsewhere.start();
        try {
            elsewhere.stubFor(any(anyUrl()).willReturn(okJson("{\"result\":{\"user\":{\"ID\":\"1\"}},\"time\":{}}")));
            b24.renameTo("127.0.0.1:" + elsewhere.port());

            HttpResponse<String> r = postJson("/api/v1/sessions/bitrix24", "{\"AUTH_ID\":\"" + b24.userToken(MANAGER)
                    + "\",\"DOMAIN\":\"" + b24.host() + "\",\"member_id\":\"" + Bitrix24Fake.MEMBER_ID + "\"}");

            assertRefused(502, r);
            assertEquals(0, elsewhere.getAllServeEvents().size(), "the access token went to the redirect's host");
            assertEquals(b24.host(), installation().crmHost(), "the redirect's host was stored");
        } finally {
            elsewhere.stop();
        }
    }

    @Test
    void bbCodeInACustomersMessageIsShownAsTextInTheCard() throws Exception {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'deal', '8065')", installation.id());
        sql.update("UPDATE installation SET settings = '{\"history\":true}' WHERE id = ?", installation.id());
        ObjectNode webhook = (ObjectNode) new ObjectMapper().readTree(PactWebhooks.fixture("message-create-incoming"));
        ((ObjectNode) webhook.get("object")).put("message", "[URL=https://evil.example/pay]Pague aqui[/URL] "
                + "[IMG]https://evil.example/x.png[/IMG] [USER=1]admin[/USER]");

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), webhook.toString());

        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8065").size() == 1);
        String comment = b24.comments("deal", "8065").get(0).text();
        assertTrue(comment.contains("Pague aqui"), comment);
        assertFalse(comment.matches("(?s).*\\[/?(URL|IMG|USER)\\b.*"), "a BB-code tag reached the portal: " + comment);
        assertEquals(comment.replace("\u200B", ""), "Pact · Cliente: “[URL=https://evil.example/pay]Pague aqui[/URL] "
                + "[IMG]https://evil.example/x.png[/IMG] [USER=1]admin[/USER]”", "the text reads as the customer wrote it");
    }

    private String managerSession() throws Exception {
        HttpResponse<String> r = api("POST", "/api/v1/sessions/bitrix24", null, "{\"AUTH_ID\":\"" + b24.userToken(MANAGER)
                + "\",\"DOMAIN\":\"" + b24.host() + "\",\"member_id\":\"" + Bitrix24Fake.MEMBER_ID + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body()).path("token").asText();
    }

    private static String startChat(String requestId, String entityId) {
        return "{\"requestId\":\"" + requestId + "\",\"entityType\":\"deal\",\"entityId\":\"" + entityId
                + "\",\"provider\":\"whatsapp\",\"phone\":\"5511987654321\",\"text\":\"Olá, aqui é a Marina\"}";
    }

    private HttpResponse<String> postJson(String path, String json) {
        return api("POST", path, null, json);
    }

    private HttpResponse<String> api(String method, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.getURL() + path)).header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    /** The installer frame's POST (bitrix24.md §1.3) with the given tokens. */
    private HttpResponse<String> installerFrame(String refreshId, String applicationToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("AUTH_ID", "b24-frame-token");
        form.put("AUTH_EXPIRES", "3600");
        form.put("REFRESH_ID", refreshId);
        form.put("member_id", Bitrix24Fake.MEMBER_ID);
        form.put("status", "L");
        form.put("PLACEMENT", "DEFAULT");
        form.put("APPLICATION_TOKEN", applicationToken);
        return postForm("/bitrix24/install?DOMAIN=" + b24.host() + "&PROTOCOL=0&LANG=br", encode(form));
    }

    private static String appUpdate(String accessToken, String applicationToken) {
        return Bitrix24Fake.event("app-update", "").replace("{{APPTOKEN}}", applicationToken)
                .replace(Bitrix24Fake.EVENT_ACCESS_TOKEN, accessToken);
    }

    /** A clear 4xx: problem+json, no exception class, stack frame or SQL in the answer. */
    static void assertRefused(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        for (String internal : List.of("Exception", "\tat ", "java.", "com.pactcrm", "SQL", "Caused by")) {
            assertFalse(r.body().contains(internal), "internal text in " + r.body());
        }
    }

    /** A snapshot of everything an attack on the installation could change, taken before it. */
    private final class Unchanged {
        private final Map<String, Object> row = installationRow();
        private final long outbox = sql.count("SELECT COUNT(*) FROM outbox_command");
        private final long journal = sql.count("SELECT COUNT(*) FROM inbound_event");
        private final long health = sql.count("SELECT COUNT(*) FROM installation_health");
        private final int portalCalls = b24.calls().size();
        private final String installersRefreshToken = b24.currentRefreshToken();
        private final int pactCalls = pact.calls().size();

        void verify() {
            verifyButPortalReads();
            List<Bitrix24Fake.Call> since = b24.calls().subList(portalCalls, b24.calls().size());
            assertTrue(since.stream().allMatch(c -> c.method().equals("batch")
                    && c.cmds().stream().allMatch(cmd -> WHO_IS_IT.contains(cmd.split("\\?")[0]))),
                    "the portal was asked more than who holds the token: " + since);
        }

        /** As {@link #verify()}, for attacks that may read the portal (nothing written there: the fake logs writes). */
        void verifyButPortalReads() {
            assertEquals(row, installationRow(), "the installation row changed");
            assertEquals(outbox, sql.count("SELECT COUNT(*) FROM outbox_command"), "something was queued");
            assertEquals(journal, sql.count("SELECT COUNT(*) FROM inbound_event"), "something was journaled");
            assertEquals(health, sql.count("SELECT COUNT(*) FROM installation_health"));
            assertTrue(b24.calls().subList(portalCalls, b24.calls().size()).stream()
                    .noneMatch(c -> c.method().contains(".add") || c.method().contains(".update")
                            || c.method().contains(".bind") || c.cmds().stream().anyMatch(cmd -> cmd.contains(".add")
                            || cmd.contains(".update") || cmd.contains(".bind"))), "something was written to the portal");
            assertEquals(installersRefreshToken, b24.currentRefreshToken(), "the installer's refresh token was used");
            assertEquals(pactCalls, pact.calls().size(), "Pact was called");
        }

        private Map<String, Object> installationRow() {
            Map<String, Object> values = new LinkedHashMap<>();
            sql.queryOne("SELECT * FROM installation WHERE id = ?", installation.id())
                    .forEach((column, value) -> values.put(column, String.valueOf(value)));
            return values;
        }
    }
}
