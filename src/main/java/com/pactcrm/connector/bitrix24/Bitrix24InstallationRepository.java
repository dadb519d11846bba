package com.pactcrm.connector.bitrix24;

import com.pactcrm.connector.installation.Installation;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

/** The writes only a Bitrix24 portal needs on its installation row; each bumps {@code version}. */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface Bitrix24InstallationRepository extends GenericRepository<Installation, Long> {

    /** A renamed portal: member_id stays, the domain changes (bitrix24.md §2). */
    @Query("""
            UPDATE installation SET crm_host = :newHost, version = version + 1
            WHERE crm = 'BITRIX24' AND crm_account_id = :memberId AND crm_host <> :newHost""")
    int updateHost(String memberId, String newHost);

    /** ONAPPUPDATE brings a new application_token (bitrix24.md §1.5). */
    @Query("UPDATE installation SET application_token_enc = :applicationTokenEnc, version = version + 1 WHERE id = :id")
    int updateApplicationToken(long id, String applicationTokenEnc);

    /**
     * ONAPPUNINSTALL: inactive, CRM and Pact tokens wiped. The application_token stays, so that a repeated
     * uninstall event still authenticates and is a no-op; it can call nothing, and a re-install replaces it.
     */
    @Query("""
            UPDATE installation SET status = 'INACTIVE', access_token_enc = NULL, refresh_token_enc = NULL,
                token_expires_at = NULL, pact_token_enc = NULL, version = version + 1
            WHERE id = :id""")
    int uninstall(long id);
}
