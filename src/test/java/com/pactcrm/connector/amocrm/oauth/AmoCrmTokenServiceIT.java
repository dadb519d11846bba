package com.pactcrm.connector.amocrm.oauth;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** The token endpoint is WireMock on 127.0.0.1 (allowed by configuration only); the database is the embedded MariaDB. */
@MicronautTest(transactional = false, startApplication = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmTokenServiceIT implements TestPropertyProvider {

    @RegisterExtension
    private static final StartedWireMock AMO = new StartedWireMock(options().dynamicPort());
    private static final String CLIENT_ID = "5f0e3a52-8c1d-4d0a-9a8e-2f6b1c7d9e01";
    private static final String CLIENT_SECRET = "client-secret-9Qw7Zr4Lp2Xs8Nv6Tb3Hk1Md5Fg0Jc7";
    private static final String REDIRECT = "https://connector.example.com/amocrm/oauth";

    @Inject
    AmoCrmOAuthClient oauth;
    @Inject
    AmoCrmTokenService tokens;
    @Inject
    InstallationRepository installations;
    @Inject
    InstallationHealthRepository health;
    @Inject
    SecretCipher cipher;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.amocrm.scheme", "http",
                "connector.amocrm.allowed-host-suffixes", ".amocrm.ru,.kommo.com,127.0.0.1",
                "connector.amocrm.client-id", CLIENT_ID,
                "connector.amocrm.client-secret", CLIENT_SECRET,
                "connector.amocrm.redirect-uri", REDIRECT);
    }

    @BeforeEach
    void reset() {
        AMO.resetAll();
    }

    private static String host() {
        return "127.0.0.1:" + AMO.port();
    }

    private static String tokenJson(String access, String refresh) {
        return "{\"token_type\":\"Bearer\",\"expires_in\":86400,\"server_time\":1763636400,\"access_token\":\"" + access
                + "\",\"refresh_token\":\"" + refresh + "\"}";
    }

    private static MappingBuilder refreshWith(String refreshToken) {
        return post(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.grant_type", equalTo("refresh_token")))
                .withRequestBody(matchingJsonPath("$.refresh_token", equalTo(refreshToken)));
    }

    private static final String REVOKED = """
            {"hint":"Token has been revoked","title":"Unauthorized","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"Unauthorized"}""";

    private Installation installation(String access, String refresh, Instant expiresAt) {
        String account = String.valueOf(Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000_000L));
        return installations.save(new Installation(null, CrmKind.AMOCRM, account, host(), InstallationStatus.ACTIVE,
                HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt(access), cipher.encrypt(refresh), expiresAt, null,
                null, null, null, null, null, null, null));
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    private int refreshCalls() {
        return AMO.findAll(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))).size();
    }

    @Test
    void exchangesAnAuthorizationCodeWithTheDocumentedJsonBody() {
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(okJson(tokenJson("acc-1", "ref-1"))));
        Instant before = Instant.now();

        AmoCrmTokens pair = oauth.exchangeCode(host(), "def50200code");

        AMO.verify(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("""
                        {"client_id":"%s","client_secret":"%s","grant_type":"authorization_code","code":"def50200code",
                         "redirect_uri":"%s"}""".formatted(CLIENT_ID, CLIENT_SECRET, REDIRECT))));
        assertEquals("acc-1", pair.accessToken());
        assertEquals("ref-1", pair.refreshToken());
        assertFalse(pair.expiresAt().isBefore(before.plusSeconds(86400)));
        assertFalse(pair.toString().contains("acc-1"));
    }

    @Test
    void anAccountWhoseSubdomainChangedIsFollowedThroughTheApiDomainClaimAndTheNewHostIsStored() {
        WireMockServer moved = new WireMockServer(options().dynamicPort());
        moved.start();
        try {
            String refresh = unique("ref");
            Installation i = installation(jwtWithApiDomain(host()), refresh, Instant.now().minusSeconds(60));
            AMO.stubFor(refreshWith(refresh).willReturn(aResponse().withStatus(404)
                    .withHeader("Content-Type", "application/problem+json")
                    .withBody("{\"title\":\"Not Found\",\"type\":\"https://httpstatus.es/404\",\"status\":404,\"detail\":\"Account not found\"}")));
            AMO.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlPathEqualTo("/oauth2/account/current/subdomain"))
                    .withHeader("X-Refresh-Token", equalTo(refresh))
                    .willReturn(okJson("{\"id\":" + i.crmAccountId() + ",\"subdomain\":\"acme-novo\",\"domain\":\"127.0.0.1:"
                            + moved.port() + "\",\"top_level_domain\":\"ru\"}")));
            moved.stubFor(refreshWith(refresh).willReturn(okJson(tokenJson("acc-at-new-host", unique("ref")))));

            var account = tokens.account(i.id());

            assertEquals("http://127.0.0.1:" + moved.port(), account.baseUrl());
            assertEquals("acc-at-new-host", account.accessToken());
            assertEquals("127.0.0.1:" + moved.port(), installations.findById(i.id()).orElseThrow().crmHost());
            assertEquals(InstallationStatus.ACTIVE, installations.findById(i.id()).orElseThrow().status());
            moved.verify(1, postRequestedFor(urlPathEqualTo("/oauth2/access_token")));
        } finally {
            moved.stop();
        }
    }

    @Test
    void anApiDomainOutsideTheAllowedHostsNeverReceivesTheRefreshToken() {
        String refresh = unique("ref");
        Installation i = installation(jwtWithApiDomain("api-a.attacker.example"), refresh, Instant.now().minusSeconds(60));
        AMO.stubFor(refreshWith(refresh).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/problem+json")
                .withBody("{\"title\":\"Not Found\",\"status\":404,\"detail\":\"Account not found\"}")));

        assertThrows(AmoCrmOAuthException.class, () -> tokens.accessToken(i.id()));

        assertEquals(host(), installations.findById(i.id()).orElseThrow().crmHost());
        AMO.verify(0, com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(
                urlPathEqualTo("/oauth2/account/current/subdomain")));
    }

    /** An amoCRM-style access token (a JWT) carrying the {@code api_domain} claim of tokens issued since 2024-08-21. */
    private static String jwtWithApiDomain(String apiDomain) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"typ\":\"JWT\",\"alg\":\"RS256\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String claims = b64.encodeToString(("{\"aud\":\"" + CLIENT_ID + "\",\"jti\":\"" + UUID.randomUUID()
                + "\",\"iat\":1763634600,\"exp\":1763721000,\"sub\":\"8214877\",\"account_id\":29138932,"
                + "\"api_domain\":\"" + apiDomain + "\",\"scopes\":[\"crm\",\"notifications\"]}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return header + "." + claims + ".c2lnbmF0dXJl";
    }

    @Test
    void freshTokenIsReturnedWithoutCallingAmoCrm() {
        Installation i = installation("acc-fresh", unique("ref"), Instant.now().plus(20, ChronoUnit.HOURS));
        assertEquals("acc-fresh", tokens.accessToken(i.id()));
        assertEquals(0, refreshCalls());
    }

    @Test
    void expiringTokenIsRefreshedAndTheNewPairStoredEncrypted() {
        String oldRefresh = unique("ref-old");
        String newAccess = unique("acc-new");
        String newRefresh = unique("ref-new");
        Installation i = installation("acc-old", oldRefresh, Instant.now().plus(30, ChronoUnit.MINUTES));
        AMO.stubFor(refreshWith(oldRefresh).willReturn(okJson(tokenJson(newAccess, newRefresh))));
        Logger amoLogs = (Logger) LoggerFactory.getLogger("com.pactcrm.connector.amocrm");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        amoLogs.addAppender(logs);

        try {
            assertEquals(newAccess, tokens.accessToken(i.id()));
        } finally {
            amoLogs.detachAppender(logs);
        }
        assertFalse(logs.list.isEmpty());
        for (ILoggingEvent event : logs.list) {
            String line = event.getFormattedMessage();
            for (String secret : List.of(oldRefresh, newAccess, newRefresh, CLIENT_SECRET)) {
                assertFalse(line.contains(secret), line);
            }
        }

        AMO.verify(postRequestedFor(urlPathEqualTo("/oauth2/access_token")).withRequestBody(equalToJson("""
                {"client_id":"%s","client_secret":"%s","grant_type":"refresh_token","refresh_token":"%s","redirect_uri":"%s"}"""
                .formatted(CLIENT_ID, CLIENT_SECRET, oldRefresh, REDIRECT))));
        Map<String, Object> row = sql.queryOne(
                "SELECT access_token_enc, refresh_token_enc, token_expires_at, status FROM installation WHERE id = ?", i.id());
        String accessEnc = (String) row.get("access_token_enc");
        String refreshEnc = (String) row.get("refresh_token_enc");
        assertTrue(accessEnc.startsWith("v1:") && !accessEnc.contains(newAccess), accessEnc);
        assertTrue(refreshEnc.startsWith("v1:") && !refreshEnc.contains(newRefresh), refreshEnc);
        assertEquals(newAccess, cipher.decrypt(accessEnc));
        assertEquals(newRefresh, cipher.decrypt(refreshEnc));
        Installation stored = installations.findById(i.id()).orElseThrow();
        assertTrue(stored.tokenExpiresAt().isAfter(Instant.now().plus(23, ChronoUnit.HOURS)));
        assertEquals(InstallationStatus.ACTIVE, stored.status());

        assertEquals(newAccess, tokens.accessToken(i.id()));
        assertEquals(1, refreshCalls());
    }

    @Test
    void eightConcurrentCallersCauseExactlyOneRefresh() throws Exception {
        String oldRefresh = unique("ref-old");
        String newAccess = unique("acc-new");
        Installation i = installation("acc-old", oldRefresh, Instant.now().plus(5, ChronoUnit.MINUTES));
        // Slow enough that every thread reaches the lock while the first refresh is in flight.
        // The fake is single-use like amoCRM: a second use of the old refresh token is answered "revoked".
        AMO.stubFor(refreshWith(oldRefresh).inScenario("single-use").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("used")
                .willReturn(okJson(tokenJson(newAccess, unique("ref-new"))).withFixedDelay(400)));
        AMO.stubFor(refreshWith(oldRefresh).inScenario("single-use").whenScenarioStateIs("used")
                .willReturn(aResponse().withStatus(401).withBody(REVOKED)));

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit((Callable<String>) () -> {
                    start.await();
                    return tokens.accessToken(i.id());
                }));
            }
            start.countDown();
            for (Future<String> f : results) {
                assertEquals(newAccess, f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, refreshCalls());
        assertEquals(InstallationStatus.ACTIVE, installations.findById(i.id()).orElseThrow().status());
    }

    @Test
    void revokedRefreshTokenMarksTheInstallationForReauthorisation() {
        String oldRefresh = unique("ref-used");
        Installation i = installation("acc-old", oldRefresh, Instant.now().minus(1, ChronoUnit.HOURS));
        AMO.stubFor(refreshWith(oldRefresh).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/problem+json").withBody(REVOKED)));

        AmoCrmTokenRevokedException e = assertThrows(AmoCrmTokenRevokedException.class, () -> tokens.accessToken(i.id()));

        assertEquals(Disposition.HEALTH, e.disposition());
        assertEquals(InstallationStatus.REAUTH_REQUIRED, installations.findById(i.id()).orElseThrow().status());
        assertTrue(health.findByInstallationId(i.id()).stream().anyMatch(h -> "CRM_TOKEN".equals(h.component())
                && "REAUTH_REQUIRED".equals(h.state()) && h.detail().contains("Token has been revoked")));
        // The refresh token is left in place (an admin may inspect); nothing more is sent with it.
        assertThrows(AmoCrmTokenRevokedException.class, () -> tokens.accessToken(i.id()));
        assertEquals(1, refreshCalls());
    }

    @Test
    void revokedButANewerPairWrittenMeanwhileIsUsedInsteadOfGivingUp() throws Exception {
        String oldRefresh = unique("ref-old");
        String newerAccess = unique("acc-newer");
        Installation i = installation("acc-old", oldRefresh, Instant.now().plus(5, ChronoUnit.MINUTES));
        AMO.stubFor(refreshWith(oldRefresh).willReturn(aResponse().withStatus(401).withBody(REVOKED).withFixedDelay(1500)));

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> caller = pool.submit(() -> tokens.accessToken(i.id()));
            await().atMost(Duration.ofSeconds(10)).until(() -> refreshCalls() == 1);
            // A process that does not take the lock (an install flow storing a fresh code exchange) writes a
            // newer pair; its UPDATE queues behind our row lock and commits as soon as we let go.
            Future<Integer> writer = pool.submit(() -> installations.updateTokens(i.id(), cipher.encrypt(newerAccess),
                    cipher.encrypt(unique("ref-newer")), Instant.now().plus(24, ChronoUnit.HOURS)));
            await().atMost(Duration.ofSeconds(10)).until(() -> sql.count(
                    "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'") > 0);

            assertEquals(newerAccess, caller.get(30, TimeUnit.SECONDS));
            assertEquals(1, writer.get(30, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(InstallationStatus.ACTIVE, installations.findById(i.id()).orElseThrow().status());
        assertTrue(health.findByInstallationId(i.id()).isEmpty());
        assertEquals(1, refreshCalls());
    }

    @Test
    void invalidGrantOnACodeIsRevokedAndServerErrorsAreRetryable() {
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.code", equalTo("expired-code")))
                .willReturn(aResponse().withStatus(400).withBody(
                        "{\"error\":\"invalid_grant\",\"error_description\":\"Authorization code has expired\",\"status\":400}")));
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.code", equalTo("busy")))
                .willReturn(aResponse().withStatus(502).withBody("<html>Bad Gateway</html>")));
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.code", equalTo("unauthorized-client")))
                .willReturn(aResponse().withStatus(401).withBody("{\"title\":\"Unauthorized\",\"hint\":\"Client authentication failed\"}")));

        assertThrows(AmoCrmTokenRevokedException.class, () -> oauth.exchangeCode(host(), "expired-code"));
        AmoCrmOAuthException busy = assertThrows(AmoCrmOAuthException.class, () -> oauth.exchangeCode(host(), "busy"));
        assertEquals(Disposition.RETRY, busy.disposition());
        assertEquals(502, busy.status());
        assertThrows(AmoCrmOAuthException.class, () -> oauth.exchangeCode(host(), "unauthorized-client"));
    }

    @Test
    void transientFailureLeavesTheInstallationActiveAndTheOldPairInPlace() {
        String oldRefresh = unique("ref-old");
        Installation i = installation("acc-old", oldRefresh, Instant.now().plus(5, ChronoUnit.MINUTES));
        AMO.stubFor(refreshWith(oldRefresh).willReturn(aResponse().withStatus(503)));

        assertThrows(AmoCrmOAuthException.class, () -> tokens.accessToken(i.id()));

        Installation stored = installations.findById(i.id()).orElseThrow();
        assertEquals(InstallationStatus.ACTIVE, stored.status());
        assertEquals(oldRefresh, cipher.decrypt(stored.refreshTokenEnc()));
    }

    @Test
    void theClientSecretIsNeverSentToAHostOutsideTheAllowList() {
        for (String host : List.of("evil.example.com", "evil.example.com:" + AMO.port(), "amocrm.ru.evil.example.com",
                "evil.example.com/x.amocrm.ru", "acme.amocrm.ru@evil.example.com", "evil.example.com#.amocrm.ru",
                "evil.example.com?.amocrm.ru", "evilamocrm.ru", ".amocrm.ru", "", "127.0.0.2:" + AMO.port())) {
            assertThrows(AmoCrmHostNotAllowedException.class, () -> oauth.exchangeCode(host, "code"), host);
            assertThrows(AmoCrmHostNotAllowedException.class, () -> oauth.refresh(host, "refresh"), host);
        }
        assertEquals(0, AMO.findAll(anyRequestedFor(anyUrl())).size());
        // The tests run with scheme http; production keeps the default https.
        assertEquals("http://acme.amocrm.ru/oauth2/access_token", oauth.tokenEndpoint("acme.amocrm.ru").toString());
        assertEquals("acme.kommo.com", oauth.tokenEndpoint("ACME.kommo.com").getHost().toLowerCase());
    }

    @Test
    void anInstallationWithAnEvilHostIsRefusedBeforeAnyCall() {
        Installation i = installations.save(new Installation(null, CrmKind.AMOCRM, unique("acct").substring(0, 20),
                "evil.example.com", InstallationStatus.ACTIVE, HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt("a"),
                cipher.encrypt("r"), Instant.now().minusSeconds(10), null, null, null, null, null, null, null, null));
        assertThrows(AmoCrmHostNotAllowedException.class, () -> tokens.accessToken(i.id()));
        assertEquals(0, AMO.findAll(anyRequestedFor(anyUrl())).size());
        assertEquals(InstallationStatus.ACTIVE, installations.findById(i.id()).orElseThrow().status());
    }

    @Test
    void idleInstallationsAreRefreshedSoTheirRefreshTokensNeverLapse() {
        String idleRefresh = unique("ref-idle");
        String idleAccess = unique("acc-idle-new");
        // Last refreshed 60 days ago (its 24 h access token expired 59 days ago).
        Installation idle = installation("acc-idle", idleRefresh, Instant.now().minus(59, ChronoUnit.DAYS));
        // Refreshed an hour ago.
        Installation recent = installation("acc-recent", unique("ref-recent"), Instant.now().plus(23, ChronoUnit.HOURS));
        // Used two days ago: not idle by a 7-day rule.
        Installation twoDays = installation("acc-2d", unique("ref-2d"), Instant.now().minus(1, ChronoUnit.DAYS));
        AMO.stubFor(refreshWith(idleRefresh).willReturn(okJson(tokenJson(idleAccess, unique("ref-idle-new")))));
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).atPriority(10)
                .willReturn(okJson(tokenJson(unique("other"), unique("other")))));

        assertTrue(tokens.refreshIdle(Duration.ofDays(7)) >= 1);

        assertEquals(idleAccess, cipher.decrypt(installations.findById(idle.id()).orElseThrow().accessTokenEnc()));
        assertEquals("acc-recent", cipher.decrypt(installations.findById(recent.id()).orElseThrow().accessTokenEnc()));
        assertEquals("acc-2d", cipher.decrypt(installations.findById(twoDays.id()).orElseThrow().accessTokenEnc()));
        var sent = new HashSet<String>();
        AMO.findAll(postRequestedFor(urlPathEqualTo("/oauth2/access_token")))
                .forEach(r -> sent.add(r.getBodyAsString()));
        assertTrue(sent.stream().anyMatch(b -> b.contains(idleRefresh)));
        assertTrue(sent.stream().noneMatch(b -> b.contains("ref-recent") || b.contains("ref-2d")));
        // Nothing idle is left.
        assertEquals(0, tokens.refreshIdle(Duration.ofDays(7)));
    }
}
