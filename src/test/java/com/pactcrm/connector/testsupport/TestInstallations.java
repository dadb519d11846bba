package com.pactcrm.connector.testsupport;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/** Creates installations the way an install flow would: random account, hook keys, encrypted tokens. */
@Singleton
public class TestInstallations {

    public static final String PACT_TOKEN = "pact-private-token-6f1c2e9ab4d84a1f";

    private final InstallationRepository installations;
    private final SecretCipher cipher;

    public TestInstallations(InstallationRepository installations, SecretCipher cipher) {
        this.installations = installations;
        this.cipher = cipher;
    }

    public Installation amoCrm(String settingsJson) {
        return create(CrmKind.AMOCRM, PACT_TOKEN, 1L, settingsJson);
    }

    public Installation create(CrmKind crm, String pactToken, Long pactCompanyId, String settingsJson) {
        return create(crm, null, null, pactToken, pactCompanyId, settingsJson);
    }

    /**
     * An amoCRM account served at {@code host} (a fake's, e.g. {@code 127.0.0.10:<port>}) whose access token is
     * good for hours, so nothing but the work itself calls the account.
     */
    public Installation amoCrmAt(String host, String pactToken, String settingsJson) {
        return create(CrmKind.AMOCRM, host, Instant.now().plus(Duration.ofHours(20)), pactToken, 1L, settingsJson);
    }

    private Installation create(CrmKind crm, String host, Instant tokenExpiresAt, String pactToken, Long pactCompanyId,
                                String settingsJson) {
        // amoCRM account ids are numbers (the webhook translator insists on it).
        String account = Long.toString(ThreadLocalRandom.current().nextLong(10_000_000L, 99_999_999L));
        return installations.save(new Installation(null, crm, account, host != null ? host : "acct" + account + ".amocrm.ru",
                InstallationStatus.ACTIVE, HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt("crm-access-" + account),
                cipher.encrypt("crm-refresh-" + account), tokenExpiresAt, null, pactCompanyId,
                pactToken == null ? null : cipher.encrypt(pactToken), null, settingsJson, null, null, null));
    }
}
