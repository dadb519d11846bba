package com.pactcrm.connector.bitrix24;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationStatus;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Install, re-install, ONAPPINSTALL, ONAPPUPDATE and ONAPPUNINSTALL against the fake portal and OAuth server. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24InstallIT extends Bitrix24TestBase {

    @BeforeEach
    void freshPortal() {
        b24.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
    }

    private Set<String> boundEvents() {
        return b24.boundEvents().stream().map(e -> e.path("event").asText() + "→" + e.path("handler").asText())
                .collect(Collectors.toSet());
    }

    @Test
    void theInstallerFrameStoresThePortalBindsEverythingOnceAndFinishesTheInstall() {
        HttpResponse<String> page = installFrame(Bitrix24Fake.MEMBER_ID);

        assertEquals(200, page.statusCode(), page.body());
        assertTrue(page.body().contains("BX24.installFinish()"), page.body());
        assertEquals("frame-ancestors 'self' http://" + b24.host(),
                page.headers().firstValue("Content-Security-Policy").orElse(""));
        Installation installation = installation();
        assertEquals(InstallationStatus.ACTIVE, installation.status());
        assertEquals(b24.host(), installation.crmHost(), "the domain comes from the OAuth server's client_endpoint");
        assertEquals(Bitrix24Fake.APPLICATION_TOKEN, cipher.decrypt(installation.applicationTokenEnc()));
        assertTrue(cipher.decrypt(installation.accessTokenEnc()).startsWith("b24-access-"));
        assertFalse(installation.refreshTokenEnc().contains("b24-refresh"), "stored encrypted");
        assertEquals(b24.currentRefreshToken(), cipher.decrypt(installation.refreshTokenEnc()), "the rotated pair is stored");
        assertEquals(Bitrix24Installer.EVENTS.stream().map(e -> e + "→" + PUBLIC_URL + "/bitrix24/events")
                .collect(Collectors.toSet()), boundEvents());
        List<ObjectNode> placements = b24.boundPlacements();
        assertEquals(Set.copyOf(Bitrix24Installer.PLACEMENTS),
                placements.stream().map(p -> p.path("placement").asText()).collect(Collectors.toSet()));
        assertTrue(placements.stream().allMatch(p -> p.path("handler").asText().equals(PUBLIC_URL + "/bitrix24/placement")));
        int binds = b24.bindCalls();
        assertEquals(12, binds);

        HttpResponse<String> again = installFrame(Bitrix24Fake.MEMBER_ID);

        assertEquals(200, again.statusCode(), again.body());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'BITRIX24' AND crm_account_id = ?",
                Bitrix24Fake.MEMBER_ID), "a re-install updates the portal");
        assertEquals(installation.id(), installation().id());
        assertEquals(binds, b24.bindCalls(), "what is bound is not bound again");
        assertEquals(6, b24.boundEvents().size());
        assertEquals(List.of("pact_whatsapp"), b24.senders(), "the messageservice sender is registered once");
    }

    @Test
    void handlerAlreadyBindedCountsAsBound() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());
        b24.forgetBindingsOnGet();

        HttpResponse<String> again = installFrame(Bitrix24Fake.MEMBER_ID);

        assertEquals(200, again.statusCode(), again.body());
        assertEquals(24, b24.bindCalls(), "every bind was tried again");
        assertEquals(6, b24.boundEvents().size());
        assertEquals("OK", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? AND component = 'CRM_EVENTS'",
                installation().id()).get("state"));
    }

    @Test
    void withoutTheMessageserviceScopeEverythingButTheSenderIsInstalled() {
        b24.withoutMessageserviceScope();

        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());

        assertEquals(6, b24.boundEvents().size());
        assertTrue(b24.senders().isEmpty());
        assertEquals("UNAVAILABLE", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? "
                + "AND component = 'CRM_SENDER'", installation().id()).get("state"));
    }

    @Test
    void onAppInstallAloneYieldsAWorkingPortal() {
        HttpResponse<String> r = postEvent(Bitrix24Fake.event("app-install", "").replace("{{REFRESH}}", b24.currentRefreshToken()));

        assertEquals(200, r.statusCode(), r.body());
        assertEquals(InstallationStatus.ACTIVE, installation().status());
        assertEquals(6, b24.boundEvents().size());
        assertEquals(6, b24.boundPlacements().size());
    }

    @Test
    void anInstallWhoseTokensBelongToAnotherPortalIsRefusedAndStoresNothing() {
        HttpResponse<String> r = installFrame("0000000000aaaaaaaaaa111111111122");

        assertEquals(401, r.statusCode());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'BITRIX24'"));
        assertEquals(0, b24.bindCalls());
        assertEquals(400, postForm("/bitrix24/install?DOMAIN=" + b24.host(), "member_id=" + Bitrix24Fake.MEMBER_ID).statusCode());
    }

    @Test
    void anEventWithAWrongApplicationTokenIs401AndNothingIsJournaled() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());
        String forged = Bitrix24Fake.event("deal-update", "8061").replace(Bitrix24Fake.APPLICATION_TOKEN, "0123456789abcdef0123456789abcdef");

        HttpResponse<String> r = postEvent(forged);

        assertEquals(401, r.statusCode());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation().id()));
        assertEquals(401, postEvent(Bitrix24Fake.event("deal-update", "8061")
                .replace(Bitrix24Fake.MEMBER_ID, "ffffffffffffffffffffffffffffffff")).statusCode(), "unknown portal");
        assertEquals(400, postEvent("event=ONCRMDEALUPDATE").statusCode());

        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "8061")).statusCode());
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "8061")).statusCode());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation().id()),
                "the same event twice is journaled once");
        String journaled = new String((byte[]) sql.queryOne("SELECT body FROM inbound_event WHERE installation_id = ?",
                installation().id()).get("body"));
        assertFalse(journaled.contains("access_token") || journaled.contains(Bitrix24Fake.APPLICATION_TOKEN),
                "no token is journaled: " + journaled);
    }

    @Test
    void onAppUpdateStoresTheNewApplicationTokenAndBindsAgain() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());
        b24.wipeBindings();
        String newToken = "11112222333344445555666677778888";

        HttpResponse<String> r = postEvent(Bitrix24Fake.event("app-update", "").replace("{{APPTOKEN}}", newToken));

        assertEquals(200, r.statusCode(), r.body());
        assertEquals(newToken, cipher.decrypt(installation().applicationTokenEnc()));
        assertEquals(6, b24.boundEvents().size());
        assertEquals(6, b24.boundPlacements().size());
        assertEquals(401, postEvent(Bitrix24Fake.event("deal-update", "1")).statusCode(), "the old token no longer works");
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "1").replace(Bitrix24Fake.APPLICATION_TOKEN, newToken))
                .statusCode());
    }

    @Test
    void onAppUpdateWithATokenThePortalRefusesIs401() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());
        String forged = Bitrix24Fake.event("app-update", "").replace("{{APPTOKEN}}", "99990000999900009999000099990000")
                .replace(Bitrix24Fake.EVENT_ACCESS_TOKEN, "not-a-token-of-this-portal");

        assertEquals(401, postEvent(forged).statusCode());
        assertEquals(Bitrix24Fake.APPLICATION_TOKEN, cipher.decrypt(installation().applicationTokenEnc()));
    }

    @Test
    void aFrameInstallAndItsOnAppInstallWithTheSameRefreshTokenMakeOnePortal() {
        String refreshToken = b24.currentRefreshToken();
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());

        HttpResponse<String> late = postEvent(Bitrix24Fake.event("app-install", "").replace("{{REFRESH}}", refreshToken));

        assertEquals(200, late.statusCode(), "the used refresh token is recognised by the application_token: " + late.body());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'BITRIX24'"));
        assertEquals(InstallationStatus.ACTIVE, installation().status());
        assertEquals(b24.currentRefreshToken(), cipher.decrypt(installation().refreshTokenEnc()), "the newer pair is kept");
    }

    @Test
    void noBitrix24SecretIsStoredInPlaintext() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "77")).statusCode());
        String access = cipher.decrypt(installation().accessTokenEnc());
        String refresh = cipher.decrypt(installation().refreshTokenEnc());

        for (String secret : List.of(access, refresh, Bitrix24Fake.APPLICATION_TOKEN, Bitrix24Fake.EVENT_ACCESS_TOKEN,
                Bitrix24Fake.CLIENT_SECRET)) {
            assertFalse(databaseContains(secret), "the database contains " + secret);
        }
    }

    private boolean databaseContains(String secret) {
        for (Map<String, Object> t : sql.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()")) {
            for (Map<String, Object> row : sql.query("SELECT * FROM `" + t.get("t") + "`")) {
                for (Object value : row.values()) {
                    String text = value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
                    if (text.contains(secret)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void onAppUninstallDeactivatesAndWipesTokensAndARepeatIsANoOp() {
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode());

        assertEquals(200, postEvent(Bitrix24Fake.event("app-uninstall", "")).statusCode());

        Installation gone = installation();
        assertEquals(InstallationStatus.INACTIVE, gone.status());
        assertNull(gone.accessTokenEnc());
        assertNull(gone.refreshTokenEnc());
        assertEquals(200, postEvent(Bitrix24Fake.event("app-uninstall", "")).statusCode());
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "5")).statusCode());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", gone.id()),
                "an uninstalled portal's events are not journaled");
    }
}
