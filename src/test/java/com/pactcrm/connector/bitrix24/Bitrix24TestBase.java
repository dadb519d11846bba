package com.pactcrm.connector.bitrix24;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;

/**
 * What every Bitrix24 test needs: a fake portal and OAuth server, a fake Pact, the connector configured for
 * them, and helpers to install the application and post forms the way Bitrix24 does. Test classes use
 * {@code @TestInstance(PER_CLASS)}, so each class has its own fakes.
 */
abstract class Bitrix24TestBase implements TestPropertyProvider {

    static final String PUBLIC_URL = "https://connector.example.com";
    static final String PACT_TOKEN = "pact-private-token-b24-7e1f0c9a";

    final Bitrix24Fake b24 = Bitrix24Fake.running();
    final PactFake pact = PactFake.start();

    @Inject
    EmbeddedServer server;
    @Inject
    InstallationRepository installations;
    @Inject
    SecretCipher cipher;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = new HashMap<>(Map.of(
                "connector.bitrix24.client-id", Bitrix24Fake.CLIENT_ID,
                "connector.bitrix24.client-secret", Bitrix24Fake.CLIENT_SECRET,
                "connector.bitrix24.oauth-url", b24.oauthUrl(),
                "connector.bitrix24.scheme", "http",
                // The fake portal's new name after a rename (Bitrix24Fake#rename).
                "connector.bitrix24.portal-domains", Bitrix24Configuration.CLOUD_DOMAINS + ",localhost",
                "connector.public-url", PUBLIC_URL,
                "connector.pact.api-url", pact.baseUrl()));
        p.putAll(extraProperties());
        return p;
    }

    Map<String, String> extraProperties() {
        return Map.of();
    }

    @AfterAll
    void stopFakes() {
        b24.shutdown();
        pact.stop();
    }

    /** The installer frame's POST, as Bitrix24 sends it (bitrix24.md §1.3). */
    HttpResponse<String> installFrame(String memberId) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("AUTH_ID", "b24-installer-frame-token");
        form.put("AUTH_EXPIRES", "3600");
        form.put("REFRESH_ID", b24.currentRefreshToken());
        form.put("member_id", memberId);
        form.put("status", "L");
        form.put("PLACEMENT", "DEFAULT");
        form.put("PLACEMENT_OPTIONS", "{\"any\":\"5/\"}");
        form.put("APPLICATION_TOKEN", Bitrix24Fake.APPLICATION_TOKEN);
        form.put("APPLICATION_SCOPE", "crm,user,placement,event");
        return postForm("/bitrix24/install?DOMAIN=" + b24.host() + "&PROTOCOL=0&LANG=br&APP_SID=9f8e7d6c", encode(form));
    }

    /** Installs through the frame, then links the portal to the Pact fake's company. */
    Installation installWithPact() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());
        Installation i = installation();
        sql.update("UPDATE installation SET pact_company_id = 1, pact_token_enc = ? WHERE id = ?", cipher.encrypt(PACT_TOKEN), i.id());
        return installation();
    }

    Installation installation() {
        return installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, Bitrix24Fake.MEMBER_ID).orElseThrow();
    }

    HttpResponse<String> postEvent(String body) {
        return postForm("/bitrix24/events", body);
    }

    HttpResponse<String> postForm(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("User-Agent", "Bitrix24 Webhook Engine")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String encode(Map<String, String> form) {
        return form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
