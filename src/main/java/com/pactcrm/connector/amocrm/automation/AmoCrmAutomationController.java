package com.pactcrm.connector.amocrm.automation;

import com.pactcrm.connector.installation.InstallationHookKeys;
import com.pactcrm.connector.installation.InstallationHookKeys.ActiveInstallation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import io.micronaut.http.HttpHeaders;
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
 * {@code POST /amocrm/automation}: the digital-pipeline action "Pact: send a message" (the widget's {@code dp} block in
 * {@code manifest.json}). amoCRM signs nothing; the action's settings carry the installation's key (the widget puts it
 * there when the admin sets the action up), and the account id, when the body names one, must be that installation's.
 * The call is journaled (a repeated post is one event) and answered at once; the dispatcher sends one Pact message per
 * firing ({@link AmoCrmAutomationUseCase}).
 */
@Controller("/amocrm/automation")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmAutomationController {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmAutomationController.class);

    private final InstallationHookKeys hookKeys;
    private final WebhookIntake intake;

    AmoCrmAutomationController(InstallationHookKeys hookKeys, WebhookIntake intake) {
        this.hookKeys = hookKeys;
        this.intake = intake;
    }

    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> receive(@Body byte[] body, HttpHeaders headers) {
        AmoCrmDigitalPipelineAction action;
        try {
            action = AmoCrmDigitalPipelineAction.of(body);
        } catch (UnprocessableEventException e) {
            throw ProblemException.badRequest("the body is not a digital-pipeline action on a lead");
        }
        ActiveInstallation installation = action.key() == null ? null : hookKeys.byCrmHookKey(action.key()).orElse(null);
        if (installation == null || action.accountId() != null && !installation.crmAccountId().equals(action.accountId())) {
            LOG.warn("event=amocrm_automation_refused account={}", action.accountId());
            throw ProblemException.notFound();
        }
        boolean stored = intake.accept(installation.id(), EventSource.AMOCRM, body, headers);
        return Map.of("status", stored ? "accepted" : "duplicate");
    }
}
