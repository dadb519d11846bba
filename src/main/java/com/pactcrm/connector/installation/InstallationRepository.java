package com.pactcrm.connector.installation;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.CrudRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface InstallationRepository extends CrudRepository<Installation, Long> {

    Optional<Installation> findByPactHookKey(String pactHookKey);

    Optional<Installation> findByHookKey(String hookKey);

    Optional<Installation> findByCrmAndCrmAccountId(CrmKind crm, String crmAccountId);

    List<Installation> findByCrmAndStatus(CrmKind crm, InstallationStatus status);

    /** Disconnected: inactive, every secret wiped, whatever version another writer left. */
    @Query("""
            UPDATE installation SET status = 'INACTIVE', access_token_enc = NULL, refresh_token_enc = NULL,
                token_expires_at = NULL, application_token_enc = NULL, pact_token_enc = NULL, version = version + 1
            WHERE id = :id""")
    int deactivateAndWipeSecrets(long id);

    /** Locks the row until the surrounding transaction ends: serialises CRM token refreshes across replicas. */
    @Query("SELECT * FROM installation WHERE id = :id FOR UPDATE")
    Optional<Installation> lockById(long id);

    /** Stores a rotated token pair; bumps {@code version} so a stale entity {@code update} fails instead of undoing it. */
    @Query("""
            UPDATE installation SET access_token_enc = :accessTokenEnc, refresh_token_enc = :refreshTokenEnc,
                token_expires_at = :tokenExpiresAt, version = version + 1
            WHERE id = :id""")
    int updateTokens(long id, String accessTokenEnc, String refreshTokenEnc, Instant tokenExpiresAt);

    /** Sets the status only while the stored refresh token is still the one that failed. */
    @Query("""
            UPDATE installation SET status = :status, version = version + 1
            WHERE id = :id AND refresh_token_enc = :refreshTokenEnc""")
    int updateStatusIfRefreshToken(long id, String status, String refreshTokenEnc);

    /** Active installations of a CRM with a refresh token whose access token expires before {@code expiresBefore}. */
    @Query("""
            SELECT id FROM installation
            WHERE crm = :crm AND status = 'ACTIVE' AND refresh_token_enc IS NOT NULL
              AND (token_expires_at IS NULL OR token_expires_at < :expiresBefore)
            ORDER BY id LIMIT :limit""")
    List<Long> findIdsWithTokenExpiringBefore(String crm, Instant expiresBefore, int limit);

    /** The CRM account moved to another address (an amoCRM subdomain change, a renamed Bitrix24 portal). */
    @Query("UPDATE installation SET crm_host = :crmHost, version = version + 1 WHERE id = :id")
    int updateCrmHost(long id, String crmHost);
}
