package com.pactcrm.connector.installation;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.DateCreated;
import io.micronaut.data.annotation.DateUpdated;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import io.micronaut.data.annotation.Version;
import java.time.Instant;

/**
 * One connected CRM account (amoCRM account id or Bitrix24 member_id) and its Pact company.
 * Every {@code *Enc} column holds a {@link com.pactcrm.connector.security.SecretCipher} ciphertext,
 * never a plaintext secret.
 */
@MappedEntity("installation")
public record Installation(
        @Id @GeneratedValue @Nullable Long id,
        CrmKind crm,
        String crmAccountId,
        @Nullable String crmHost,
        InstallationStatus status,
        String hookKey,
        String pactHookKey,
        @Nullable String accessTokenEnc,
        @Nullable String refreshTokenEnc,
        @Nullable Instant tokenExpiresAt,
        @Nullable String applicationTokenEnc,
        @Nullable Long pactCompanyId,
        @Nullable String pactTokenEnc,
        @Nullable Long pactWebhookId,
        @Nullable String settings,
        @Version @Nullable Long version,
        @DateCreated @Nullable Instant createdAt,
        @DateUpdated @Nullable Instant updatedAt) {

    public boolean active() {
        return status == InstallationStatus.ACTIVE;
    }

    public Installation withPact(long companyId, String pactTokenEnc, @Nullable Long webhookId) {
        return new Installation(id, crm, crmAccountId, crmHost, status, hookKey, pactHookKey, accessTokenEnc,
                refreshTokenEnc, tokenExpiresAt, applicationTokenEnc, companyId, pactTokenEnc, webhookId, settings,
                version, createdAt, updatedAt);
    }
}
