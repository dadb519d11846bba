package com.pactcrm.connector.amocrm.automation;

import com.pactcrm.connector.amocrm.widget.AmoCrmDisposableTokenVerifier;
import com.pactcrm.connector.amocrm.widget.AmoCrmTokenRejectedException;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /amocrm/salesbot}: the Salesbot step "Pact: send a message" (the widget's {@code salesbot_designer} block
 * makes the bot call here with {@code widget_request}). The token is checked (HS512 with the client secret), its account
 * must be an active installation, and the return URL must be that account's own host and a bot's continue path; the
 * call is then journaled and answered at once. The dispatcher sends one Pact message and lets the bot go on.
 */
@Controller("/amocrm/salesbot")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmSalesbotController {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmSalesbotController.class);

    private final AmoCrmDisposableTokenVerifier tokens;
    private final InstallationRepository installations;
    private final WebhookIntake intake;

    AmoCrmSalesbotController(AmoCrmDisposableTokenVerifier tokens, InstallationRepository installations, WebhookIntake intake) {
        this.tokens = tokens;
        this.installations = installations;
        this.intake = intake;
    }

    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> receive(@Body byte[] body, HttpHeaders headers) {
        AmoCrmSalesbotRequest request;
        try {
            request = AmoCrmSalesbotRequest.of(body);
        } catch (UnprocessableEventException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        try {
            tokens.verifyBotToken(request.token());
        } catch (AmoCrmTokenRejectedException e) {
            LOG.warn("event=amocrm_salesbot_refused reason=\"{}\"", e.getMessage());
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the bot's token is not valid");
        }
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, request.accountId())
                .filter(Installation::active).orElseThrow(ProblemException::notFound);
        // The connector posts back to return_url with the account's token: only to the account's own host.
        if (!installation.crmHost().equalsIgnoreCase(hostOf(request))) {
            throw ProblemException.badRequest("return_url is not this account's address");
        }
        boolean stored = intake.accept(installation.id(), EventSource.AMOCRM, body, headers);
        return Map.of("status", stored ? "accepted" : "duplicate");
    }

    private static String hostOf(AmoCrmSalesbotRequest request) {
        String host = request.returnUrl().getHost();
        return request.returnUrl().getPort() < 0 ? host : host + ":" + request.returnUrl().getPort();
    }
}
