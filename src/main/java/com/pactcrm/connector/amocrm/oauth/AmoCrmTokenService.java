package com.pactcrm.connector.amocrm.oauth;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.amocrm.client.AmoCrmAccount;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.context.annotation.Value;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Valid amoCRM access tokens per installation. amoCRM refresh tokens are single-use across every
 * process that holds them, and an unsaved or doubly used one ends in "Token has been revoked" and a
 * re-install (amocrm.md §1.4, §7.1 item 1, §7.2). So a refresh:
 * <ol>
 *   <li>runs under {@code SELECT ... FOR UPDATE} on the installation row, held across the HTTP call,
 *       so replicas queue instead of racing;</li>
 *   <li>re-reads the row after taking the lock and skips the call if the replica before us already
 *       refreshed;</li>
 *   <li>stores the new pair, encrypted, in that same transaction, and returns the access token only
 *       after the commit;</li>
 *   <li>on "revoked" re-reads storage once more (a newer pair may have been written by an install
 *       flow or a process that did not take the lock) before marking the installation
 *       {@link InstallationStatus#REAUTH_REQUIRED} and recording {@code CRM_TOKEN} health.</li>
 * </ol>
 */
@Singleton
public class AmoCrmTokenService {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmTokenService.class);
    static final int IDLE_BATCH = 1000;

    private final InstallationRepository installations;
    private final InstallationHealthRepository health;
    private final SecretCipher cipher;
    private final AmoCrmOAuthClient oauth;
    private final TransactionOperations<Connection> tx;
    private final Clock clock;
    private final Duration refreshMargin;
    private final Duration accessTokenLifetime;
    private final AmoCrmConfiguration amocrm;

    public AmoCrmTokenService(AmoCrmConfiguration amocrm,
                              InstallationRepository installations,
                              InstallationHealthRepository health,
                              SecretCipher cipher,
                              AmoCrmOAuthClient oauth,
                              TransactionOperations<Connection> tx,
                              Clock clock,
                              @Value("${connector.amocrm.token-refresh-margin:1h}") Duration refreshMargin,
                              @Value("${connector.amocrm.access-token-lifetime:24h}") Duration accessTokenLifetime) {
        this.amocrm = amocrm;
        this.installations = installations;
        this.health = health;
        this.cipher = cipher;
        this.oauth = oauth;
        this.tx = tx;
        this.clock = clock;
        this.refreshMargin = refreshMargin;
        this.accessTokenLifetime = accessTokenLifetime;
    }

    /**
     * The account to call: its current host (which a refresh may just have moved, §1.5) with a valid access
     * token, see {@link #accessToken}.
     */
    public AmoCrmAccount account(long installationId) {
        return accountWith(installationId, accessToken(installationId));
    }

    /** {@link #refreshRejected}, as the account to call again. */
    public AmoCrmAccount accountAfterRejected(long installationId, String rejectedAccessToken) {
        return accountWith(installationId, refreshRejected(installationId, rejectedAccessToken));
    }

    private AmoCrmAccount accountWith(long installationId, String accessToken) {
        Installation installation = installations.findById(installationId)
                .orElseThrow(() -> new IllegalArgumentException("no installation " + installationId));
        return new AmoCrmAccount(amocrm.scheme() + "://" + installation.crmHost(), accessToken);
    }

    /**
     * An access token valid for at least {@code connector.amocrm.token-refresh-margin}, refreshing first
     * if needed.
     *
     * @throws AmoCrmTokenRevokedException the installation needs a new authorisation
     * @throws AmoCrmOAuthException        the token endpoint failed transiently: retry later
     */
    public String accessToken(long installationId) {
        Installation current = installations.findById(installationId)
                .orElseThrow(() -> new IllegalArgumentException("no installation " + installationId));
        requireUsable(current);
        if (!expiringSoon(current)) {
            return cipher.decrypt(current.accessTokenEnc());
        }
        return refreshSerialized(installationId, this::expiringSoon, true).accessToken();
    }

    /**
     * amoCRM answered 401 to {@code rejectedAccessToken} before its expiry: refresh now, unless another
     * caller already did (the stored token is no longer the rejected one).
     */
    public String refreshRejected(long installationId, String rejectedAccessToken) {
        return refreshSerialized(installationId,
                i -> i.accessTokenEnc() == null || rejectedAccessToken.equals(cipher.decrypt(i.accessTokenEnc())),
                true).accessToken();
    }

    /**
     * Refreshes active amoCRM installations whose pair was last refreshed more than {@code olderThan}
     * ago, so that unused refresh tokens never reach their 3-month end (amocrm.md §1.4; a weekly
     * keep-alive is what I: amocrm/amocrm-api-php#246 suggests). Handles at most {@value #IDLE_BATCH}
     * installations per call; failures are logged (and revocations recorded) per installation.
     *
     * @return how many installations were refreshed
     */
    public int refreshIdle(Duration olderThan) {
        // The schema keeps no "refreshed at"; a pair refreshed at T expires at T + expires_in, and amoCRM's
        // expires_in is 24 h (amocrm.md §1.4), so "refreshed before now - olderThan" is read as
        // "expires before now - olderThan + lifetime". A shorter real expires_in only refreshes earlier.
        Instant expiresBefore = clock.instant().minus(olderThan).plus(accessTokenLifetime);
        Predicate<Installation> idle = i -> i.tokenExpiresAt() == null || i.tokenExpiresAt().isBefore(expiresBefore);
        List<Long> ids = installations.findIdsWithTokenExpiringBefore(CrmKind.AMOCRM.name(), expiresBefore, IDLE_BATCH);
        int refreshed = 0;
        for (long id : ids) {
            try {
                if (refreshSerialized(id, idle, true).refreshed()) {
                    refreshed++;
                }
            } catch (OutboundCallException e) {
                LOG.warn("event=amocrm_idle_refresh_failed installationId={} disposition={} error=\"{}\"", id,
                        e.disposition(), e.getMessage());
            }
        }
        LOG.info("event=amocrm_idle_refresh candidates={} refreshed={}", ids.size(), refreshed);
        return refreshed;
    }

    private record Outcome(String accessToken, boolean refreshed, String failedRefreshTokenEnc,
                           String failedRefreshToken, AmoCrmTokenRevokedException revoked) {
    }

    private Outcome refreshSerialized(long id, Predicate<Installation> stillNeeded, boolean retryIfNewerPair) {
        Outcome outcome = tx.executeWrite(status -> {
            Installation locked = lock(id);
            requireUsable(locked);
            if (!stillNeeded.test(locked)) {
                // Another replica refreshed while we waited for the lock.
                return new Outcome(cipher.decrypt(locked.accessTokenEnc()), false, null, null, null);
            }
            String refreshToken = cipher.decrypt(locked.refreshTokenEnc());
            AmoCrmTokens tokens;
            try {
                tokens = refreshWherever(locked, refreshToken);
            } catch (AmoCrmTokenRevokedException e) {
                return new Outcome(null, false, locked.refreshTokenEnc(), refreshToken, e);
            }
            // The old refresh token is dead from here on: the new pair must reach the database before use.
            installations.updateTokens(id, cipher.encrypt(tokens.accessToken()), cipher.encrypt(tokens.refreshToken()),
                    tokens.expiresAt());
            LOG.info("event=amocrm_token_refreshed installationId={} expires_at={}", id, tokens.expiresAt());
            return new Outcome(tokens.accessToken(), true, null, null, null);
        });
        if (outcome.revoked() == null) {
            return outcome;
        }
        return afterRevoked(id, outcome, stillNeeded, retryIfNewerPair);
    }

    /**
     * "Token has been revoked" usually means someone else already used this refresh token (amocrm.md
     * §7.2). Look once more, under the lock in a new transaction (so any writer queued behind our
     * lock has committed), for a pair newer than the one that failed before giving up.
     */
    private Outcome afterRevoked(long id, Outcome failed, Predicate<Installation> stillNeeded, boolean retryIfNewerPair) {
        Installation newer = tx.executeWrite(status -> {
            Installation again = lock(id);
            String stored = again.refreshTokenEnc() == null ? null : cipher.decrypt(again.refreshTokenEnc());
            if (again.status() == InstallationStatus.ACTIVE && stored != null && !stored.equals(failed.failedRefreshToken())) {
                return again;
            }
            if (installations.updateStatusIfRefreshToken(id, InstallationStatus.REAUTH_REQUIRED.name(),
                    failed.failedRefreshTokenEnc()) == 1) {
                health.record(id, AmoCrmTokenRevokedException.HEALTH_COMPONENT, AmoCrmTokenRevokedException.HEALTH_STATE,
                        failed.revoked().getMessage());
                LOG.warn("event=amocrm_reauth_required installationId={} reason=\"{}\"", id, failed.revoked().getMessage());
            }
            return null;
        });
        if (newer == null) {
            throw failed.revoked();
        }
        LOG.info("event=amocrm_token_newer_pair_found installationId={}", id);
        if (!stillNeeded.test(newer)) {
            return new Outcome(cipher.decrypt(newer.accessTokenEnc()), false, null, null, null);
        }
        if (retryIfNewerPair) {
            return refreshSerialized(id, stillNeeded, false);
        }
        throw failed.revoked();
    }

    /**
     * Refreshes at the account's host; if that host answers 401 or 404 the account may have changed its
     * subdomain, so amoCRM is asked where it lives now and the refresh is tried there once, the way the
     * official library does (amocrm.md §1.5, §7.1 item 4). The new host is stored with the new pair.
     */
    private AmoCrmTokens refreshWherever(Installation locked, String refreshToken) {
        try {
            return oauth.refresh(locked.crmHost(), refreshToken);
        } catch (OutboundCallException e) {
            if (e.status() != 401 && e.status() != 404) {
                throw e;
            }
            String accessToken = locked.accessTokenEnc() == null ? null : cipher.decrypt(locked.accessTokenEnc());
            Optional<String> moved = oauth.currentAccountHost(accessToken, refreshToken)
                    .filter(host -> !host.equalsIgnoreCase(locked.crmHost()));
            if (moved.isEmpty()) {
                throw e;
            }
            AmoCrmTokens tokens = oauth.refresh(moved.get(), refreshToken);
            installations.updateCrmHost(locked.id(), moved.get());
            LOG.warn("event=amocrm_account_moved installationId={} from={} to={}", locked.id(), locked.crmHost(), moved.get());
            return tokens;
        }
    }

    private Installation lock(long id) {
        return installations.lockById(id).orElseThrow(() -> new IllegalArgumentException("no installation " + id));
    }

    private boolean expiringSoon(Installation i) {
        return i.accessTokenEnc() == null || i.tokenExpiresAt() == null
                || !i.tokenExpiresAt().isAfter(clock.instant().plus(refreshMargin));
    }

    private static void requireUsable(Installation i) {
        if (i.crm() != CrmKind.AMOCRM) {
            throw new IllegalArgumentException("installation " + i.id() + " is not an amoCRM installation");
        }
        if (i.status() == InstallationStatus.REAUTH_REQUIRED || i.refreshTokenEnc() == null) {
            throw new AmoCrmTokenRevokedException("installation " + i.id() + " must be authorised again", 0);
        }
        if (i.status() != InstallationStatus.ACTIVE) {
            throw new OutboundCallException("installation " + i.id() + " is " + i.status(), Disposition.PERMANENT, 0,
                    null, null, null, null);
        }
    }
}
