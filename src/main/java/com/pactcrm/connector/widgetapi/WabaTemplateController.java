package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactWabaTemplate;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.outbox.OutboundCallException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.ArrayList;
import java.util.List;

/**
 * The Pact company's WABA templates for the card's dialog: on WABA a manager may write first only with one of
 * them. Pact lists only templates Meta approved; {@code wabaId} is what a message names (pact-api.md §2.1).
 */
@Controller("/api/v1/waba-templates")
@ExecuteOn(TaskExecutors.BLOCKING)
class WabaTemplateController {

    record WabaTemplate(long id, long wabaId, String name, String body, int substitutionsCount) {
    }

    record WabaTemplates(List<WabaTemplate> templates) {
    }

    private static final int PER_PAGE = 100;
    private static final int MAX_PAGES = 3;

    private final WidgetAuth auth;
    private final PactGateway pact;
    private final SecretCipher cipher;

    WabaTemplateController(WidgetAuth auth, PactGateway pact, SecretCipher cipher) {
        this.auth = auth;
        this.pact = pact;
        this.cipher = cipher;
    }

    @Get
    WabaTemplates list(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        Installation installation = auth.caller(authorization, origin).installation();
        if (installation.pactTokenEnc() == null || installation.pactCompanyId() == null) {
            throw new ProblemException(HttpStatus.CONFLICT, "Pact not connected",
                    "Pact is not connected: an admin must enter the Pact API token in the settings");
        }
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
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "Pact unavailable",
                    "Pact did not list the WABA templates just now; try again in a minute");
        }
        return new WabaTemplates(out);
    }
}
