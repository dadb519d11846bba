package com.pactcrm.connector.amocrm.webhook;

import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.installation.InstallationHookKeys;
import com.pactcrm.connector.installation.InstallationHookKeys.ActiveInstallation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * amoCRM account webhooks (form-urlencoded, amocrm.md §2.3). amoCRM signs nothing; the key in the
 * path and the body's {@code account[id]} authenticate the call. Only that much is read here: amoCRM
 * waits 2 s and disables a hook after more than 100 bad answers in 2 h (§2.4), so anything our
 * translator might dislike is journaled and parked later, never refused on the request path.
 */
@Controller("/amocrm/webhooks")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmWebhookController {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmWebhookController.class);

    private final InstallationHookKeys hookKeys;
    private final WebhookIntake intake;
    private final MeterRegistry meters;

    AmoCrmWebhookController(InstallationHookKeys hookKeys, WebhookIntake intake, MeterRegistry meters) {
        this.hookKeys = hookKeys;
        this.intake = intake;
        this.meters = meters;
    }

    @Post(uri = "/{hookKey}", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> receive(@PathVariable String hookKey, @Body byte[] body, HttpHeaders headers) {
        long start = System.nanoTime();
        ActiveInstallation installation = hookKeys.byCrmHookKey(hookKey).orElseThrow(() -> {
            intake.count(EventSource.AMOCRM, "unknown_hook");
            return ProblemException.notFound();
        });
        MDC.put("installationId", Long.toString(installation.id()));
        try {
            String accountId = accountIdOf(body);
            if (!installation.crmAccountId().equals(accountId)) {
                // A key used for another account was leaked or misrouted: answer as for an unknown key.
                LOG.warn("event=amocrm_webhook_account_mismatch bodyAccount={}", accountId);
                intake.count(EventSource.AMOCRM, "account_mismatch");
                throw ProblemException.notFound();
            }
            boolean stored = intake.accept(installation.id(), EventSource.AMOCRM, body, headers);
            return Map.of("status", stored ? "accepted" : "duplicate");
        } finally {
            meters.timer("connector.inbound.ack.latency", "source", "amocrm").record(Duration.ofNanos(System.nanoTime() - start));
            MDC.remove("installationId");
        }
    }

    private String accountIdOf(byte[] body) {
        try {
            return BracketedForm.parse(body).tree().get("account") instanceof Map<?, ?> account && account.get("id") != null
                    ? account.get("id").toString() : null;
        } catch (UnprocessableEventException e) {
            intake.count(EventSource.AMOCRM, "rejected");
            // The parser's message quotes the caller's field names: the log has it, the answer only the gist.
            LOG.info("event=amocrm_webhook_unreadable detail=\"{}\"", e.getMessage());
            throw ProblemException.badRequest("the body is not an amoCRM webhook form");
        }
    }
}
