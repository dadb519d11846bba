package com.pactcrm.connector.bitrix24.oauth;

import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps idle portals' refresh tokens alive (see {@link Bitrix24TokenService#refreshIdle}). */
@Singleton
@Requires(property = "connector.bitrix24.maintenance.enabled", notEquals = "false")
public class Bitrix24Maintenance {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24Maintenance.class);

    private final Bitrix24TokenService tokens;
    private final Duration idleAfter;

    public Bitrix24Maintenance(Bitrix24TokenService tokens,
                               @Value("${connector.bitrix24.maintenance.idle-after:7d}") Duration idleAfter) {
        this.tokens = tokens;
        this.idleAfter = idleAfter;
    }

    @Scheduled(fixedDelay = "${connector.bitrix24.maintenance.refresh-every:6h}", initialDelay = "3m")
    public void refreshIdleTokens() {
        int refreshed = tokens.refreshIdle(idleAfter);
        if (refreshed > 0) {
            LOG.info("event=bitrix24_idle_tokens_refreshed count={}", refreshed);
        }
    }
}
