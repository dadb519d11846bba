package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.PactConnection;
import com.pactcrm.connector.pact.client.PactApiException;
import com.pactcrm.connector.security.SessionTokens.Session;
import com.pactcrm.connector.sync.outbox.OutboundCallException.Disposition;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

/**
 * {@code PUT /api/v1/settings/pact}: a CRM admin connects the installation to a Pact company. The
 * token is checked with Pact, our webhook registered and activated; the token is stored encrypted
 * and never shown again.
 */
@Controller("/api/v1/settings/pact")
@ExecuteOn(TaskExecutors.BLOCKING)
class PactSettingsController {

    record ConnectPact(String apiToken, Long companyId) {
        @Override
        public String toString() {
            return "ConnectPact[companyId=" + companyId + "]";
        }
    }

    record PactConnected(long companyId, long webhookId, String webhookUrl) {
    }

    private final WidgetAuth auth;
    private final InstallationRepository installations;
    private final PactConnection connection;

    PactSettingsController(WidgetAuth auth, InstallationRepository installations, PactConnection connection) {
        this.auth = auth;
        this.installations = installations;
        this.connection = connection;
    }

    @Put
    PactConnected connect(@Nullable @Header("Authorization") String authorization,
                          @Nullable @Header("Origin") String origin, @Body ConnectPact request) {
        Session session = auth.require(authorization);
        if (!session.admin()) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "only CRM administrators can change the settings");
        }
        if (request.apiToken() == null || request.apiToken().isBlank() || request.companyId() == null) {
            throw ProblemException.badRequest("apiToken and companyId are required");
        }
        Installation installation = installations.findById(session.installationId()).filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "the connector is not active here"));
        auth.requireOrigin(origin, installation);
        try {
            Installation connected = connection.connect(installation, request.apiToken(), request.companyId());
            return new PactConnected(connected.pactCompanyId(), connected.pactWebhookId(), connection.webhookUrl(connected));
        } catch (PactApiException e) {
            String why = e.disposition() == Disposition.HEALTH
                    ? switch (e.healthState().orElse("")) {
                        case "PAYMENT_REQUIRED" -> "the Pact company's plan is unpaid";
                        case "FORBIDDEN" -> "this Pact token may not manage the company's webhooks";
                        default -> "Pact refused the API token";
                    }
                    : "Pact answered: " + (e.detail() != null ? e.detail() : e.getMessage());
            throw new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, "Pact connection failed", why);
        }
    }
}
