package com.pactcrm.connector.amocrm.widget;

import com.pactcrm.connector.security.Hashes;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which disposable tokens were used already, in the database so that every replica sees the same answer: a token
 * shown to one replica and replayed to another within its 30 minutes is refused there too (issue 11).
 */
@Singleton
class AmoCrmUsedTokens {

    /** Short deletes: each holds its row locks briefly while sessions are being opened. */
    static final int PURGE_BATCH = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmUsedTokens.class);

    private final AmoCrmUsedTokenRepository usedTokens;
    private final Clock clock;

    AmoCrmUsedTokens(AmoCrmUsedTokenRepository usedTokens, Clock clock) {
        this.usedTokens = usedTokens;
        this.clock = clock;
    }

    /** @return true for the first use of {@code jti} anywhere, false for a replay */
    boolean firstUse(String jti, Instant tokenExpiresAt) {
        return usedTokens.insertIfAbsent(Hashes.sha256Hex(jti), tokenExpiresAt) == 1;
    }

    /** A row outlives its token only until this runs: an expired token is refused before its jti is looked at. */
    @Scheduled(fixedDelay = "${connector.amocrm.used-token-purge-every:10m}", initialDelay = "1m")
    void purgeExpired() {
        Instant now = clock.instant();
        int deleted;
        int total = 0;
        do {
            deleted = usedTokens.deleteExpiredBefore(now, PURGE_BATCH);
            total += deleted;
        } while (deleted == PURGE_BATCH);
        if (total > 0) {
            LOG.debug("event=amocrm_used_tokens_purged count={}", total);
        }
    }
}
