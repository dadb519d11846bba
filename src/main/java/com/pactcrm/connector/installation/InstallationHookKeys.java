package com.pactcrm.connector.installation;

import io.micronaut.context.annotation.Value;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Webhook URL key → active installation id, for Pact's and the CRM's hook keys, cached for a short time: the lookup
 * cost as much as the journal insert itself on every webhook (see README, Benchmark). On another replica, a
 * deactivated installation's webhooks may still be journaled for up to the TTL; the dispatcher ignores them.
 * Only the exact key finds its installation: the key columns compare byte for byte but, like every binary collation
 * MySQL 8 and MariaDB share, ignore trailing spaces (V7), so the row found must carry the very key of the URL.
 */
@Singleton
public class InstallationHookKeys {

    /** What a receiver needs to know about the installation a key belongs to. */
    public record ActiveInstallation(long id, String crmAccountId) {
    }

    private record Entry(ActiveInstallation installation, Instant expiresAt) {
    }

    private static final int MAX_ENTRIES = 100_000;

    private final InstallationRepository installations;
    private final Clock clock;
    private final Duration ttl;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    InstallationHookKeys(InstallationRepository installations, Clock clock,
                         @Value("${connector.hook-key-cache-ttl:30s}") Duration ttl) {
        this.installations = installations;
        this.clock = clock;
        this.ttl = ttl;
    }

    /** In this replica the change is immediate; other replicas forget within the TTL. */
    @EventListener
    void onDeactivated(InstallationDeactivated event) {
        cache.values().removeIf(e -> e.installation().id() == event.installationId());
    }

    /** The active installation whose Pact webhook URL has this key; empty for unknown keys and inactive installations. */
    public Optional<ActiveInstallation> byPactHookKey(String hookKey) {
        return lookup("pact:" + hookKey, () -> installations.findByPactHookKey(hookKey)
                .filter(i -> hookKey.equals(i.pactHookKey())));
    }

    /** The active installation whose CRM webhook URL has this key. */
    public Optional<ActiveInstallation> byCrmHookKey(String hookKey) {
        return lookup("crm:" + hookKey, () -> installations.findByHookKey(hookKey).filter(i -> hookKey.equals(i.hookKey())));
    }

    private Optional<ActiveInstallation> lookup(String cacheKey, Supplier<Optional<Installation>> load) {
        Instant now = clock.instant();
        Entry entry = cache.get(cacheKey);
        if (entry != null && entry.expiresAt().isAfter(now)) {
            return Optional.of(entry.installation());
        }
        Optional<ActiveInstallation> found = load.get().filter(Installation::active)
                .map(i -> new ActiveInstallation(i.id(), i.crmAccountId()));
        if (found.isPresent()) {
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
            cache.put(cacheKey, new Entry(found.get(), now.plus(ttl)));
        } else {
            cache.remove(cacheKey);
        }
        return found;
    }
}
