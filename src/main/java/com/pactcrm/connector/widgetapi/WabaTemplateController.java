package com.pactcrm.connector.widgetapi;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactWabaTemplate;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Pact company's WABA templates for the card: on WABA a manager may write first, and answer after the client's
 * 24-hour window, only with one of them (the write-first dialog and the conversation's reply box both offer them).
 * Pact lists only templates Meta approved; {@code wabaId} is what a message names (pact-api.md §2.1). Pact allows 20
 * template reads a minute per token, and every card that shows a WABA conversation asks: one installation's list is
 * kept for {@code connector.card.waba-templates-ttl}; a failed read is not kept.
 */
@Controller("/api/v1/waba-templates")
@ExecuteOn(TaskExecutors.BLOCKING)
class WabaTemplateController {

    record WabaTemplate(long id, long wabaId, String name, String body, int substitutionsCount) {
    }

    record WabaTemplates(List<WabaTemplate> templates) {
    }

    /** One installation's templates at one Pact company (connecting another company reads them anew). */
    private record Key(long installationId, long companyId) {
    }

    private static final int PER_PAGE = 100;
    private static final int MAX_PAGES = 3;

    private final WidgetAuth auth;
    private final PactGateway pact;
    private final SecretCipher cipher;
    private final Cache<Key, WabaTemplates> cache;

    WabaTemplateController(WidgetAuth auth, PactGateway pact, SecretCipher cipher,
                           @Value("${connector.card.waba-templates-ttl:1m}") Duration ttl) {
        this.auth = auth;
        this.pact = pact;
        this.cipher = cipher;
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(10_000).build();
    }

    @Get
    WabaTemplates list(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        Installation installation = auth.caller(authorization, origin).installation();
        if (installation.pactTokenEnc() == null || installation.pactCompanyId() == null) {
            throw new ProblemException(HttpStatus.CONFLICT, "Pact not connected",
                    "Pact is not connected: an admin must enter the Pact API token in the settings");
        }
        // Callers asking together while nothing is kept wait for one read.
        return cache.get(new Key(installation.id(), installation.pactCompanyId()), key -> read(installation));
    }

    private WabaTemplates read(Installation installation) {
        PactCredentials credentials = new PactCredentials(cipher.decrypt(installation.pactTokenEnc()), installation.pactCompanyId());
        List<WabaTemplate> out = new ArrayList<>();
        try {
            for (int page = 1; page <= MAX_PAGES; page++) {
                List<PactWabaTemplate> found = pact.wabaTemplates(credentials, page, PER_PAGE);
                found.stream()
                        .filter(t -> t.wabaId() != null && (t.companyId() == null || t.companyId().equals(installation.pactCompanyId())))
                        .forEach(t -> out.add(new WabaTemplate(t.id(), t.wabaId(), t.name(), t.body() == null ? "" : t.body(),
                                t.substitutionsCount() == null ? 0 : t.substitutionsCount())));
                if (found.size() < PER_PAGE) {
                    break;
                }
            }
        } catch (OutboundCallException e) {
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "Pact did not list the templates", refusal(e));
        }
        return new WabaTemplates(List.copyOf(out));
    }

    /** Why Pact gave no list, in the plain words the card translates (i18n.js REASONS). */
    private static String refusal(OutboundCallException e) {
        return switch (e.status()) {
            case 401 -> "Pact refused the API token: check it in app.pact.im";
            case 402 -> "the Pact company's plan is unpaid";
            case 403 -> "Pact does not let this token list the company's WABA templates";
            default -> "Pact did not list the WABA templates just now; try again in a minute";
        };
    }
}
