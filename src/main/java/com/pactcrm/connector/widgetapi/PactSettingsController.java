package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.PactConnection;
import com.pactcrm.connector.pact.client.PactApiException;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactWebhook;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;

/**
 * {@code PUT /api/v1/settings/pact}: a CRM admin connects the installation to a Pact company. The
 * token is checked with Pact, our webhook registered and activated; the token is stored encrypted
 * and never shown again. {@code POST /api/v1/settings/pact/test} checks a token (or the stored one)
 * without changing anything.
 */
@Controller("/api/v1/settings/pact")
@ExecuteOn(TaskExecutors.BLOCKING)
class PactSettingsController {

    record ConnectPact(@Nullable String apiToken, @Nullable Long companyId) {
        @Override
        public String toString() {
            return "ConnectPact[companyId=" + companyId + "]";
        }
    }

    record PactConnected(long companyId, long webhookId, String webhookUrl) {
    }

    /** {@code webhookActive}: our webhook is registered at the company and active. */
    record ConnectionTested(long companyId, boolean webhookActive) {
    }

    private final WidgetAuth auth;
    private final PactConnection connection;
    private final PactGateway pact;
    private final SecretCipher cipher;

    PactSettingsController(WidgetAuth auth, PactConnection connection, PactGateway pact, SecretCipher cipher) {
        this.auth = auth;
        this.connection = connection;
        this.pact = pact;
        this.cipher = cipher;
    }

    @Put
    PactConnected connect(@Nullable @Header("Authorization") String authorization,
                          @Nullable @Header("Origin") String origin, @Body ConnectPact request) {
        Caller caller = auth.admin(authorization, origin);
        if (request.apiToken() == null || request.apiToken().isBlank() || request.companyId() == null) {
            throw ProblemException.badRequest("apiToken and companyId are required");
        }
        try {
            Installation connected = connection.connect(caller.installation(), request.apiToken(), request.companyId());
            return new PactConnected(connected.pactCompanyId(), connected.pactWebhookId(), connection.webhookUrl(connected));
        } catch (PactApiException e) {
            throw refused(e);
        }
    }

    @Post("/test")
    ConnectionTested test(@Nullable @Header("Authorization") String authorization,
                          @Nullable @Header("Origin") String origin, @Body ConnectPact request) {
        Installation installation = auth.admin(authorization, origin).installation();
        PactCredentials credentials;
        if (request.apiToken() != null && !request.apiToken().isBlank()) {
            if (request.companyId() == null) {
                throw ProblemException.badRequest("companyId is required with an apiToken");
            }
            credentials = new PactCredentials(request.apiToken().strip(), request.companyId());
        } else if (installation.pactTokenEnc() != null && installation.pactCompanyId() != null) {
            credentials = new PactCredentials(cipher.decrypt(installation.pactTokenEnc()), installation.pactCompanyId());
        } else {
            throw ProblemException.badRequest("Pact is not connected yet: enter the API token and the company id");
        }
        try {
            List<PactWebhook> webhooks = pact.listWebhooks(credentials);
            String ours = connection.webhookUrl(installation);
            return new ConnectionTested(credentials.companyId(),
                    webhooks.stream().anyMatch(w -> ours.equals(w.url()) && w.active()));
        } catch (PactApiException e) {
            throw refused(e);
        } catch (OutboundCallException e) {
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "Pact unreachable", "Pact could not be reached just now; try again");
        }
    }

    /** What the admin reads when Pact says no, in plain words. */
    private static ProblemException refused(PactApiException e) {
        String why = e.disposition() == Disposition.HEALTH
                ? switch (e.healthState().orElse("")) {
                    case "PAYMENT_REQUIRED" -> "the Pact company's plan is unpaid";
                    case "FORBIDDEN" -> "this Pact token may not manage the company's webhooks";
                    default -> "Pact refused the API token: check it in app.pact.im";
                }
                : "Pact answered: " + (e.detail() != null ? e.detail() : e.getMessage());
        return new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, "Pact connection failed", why);
    }
}
