package com.pactcrm.connector.bitrix24.event;

import com.pactcrm.connector.bitrix24.Bitrix24Callbacks;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;

/**
 * The handler of the connector's automation robot, "Pact: send a message" ({@code bizproc.robot.add}, code
 * {@value Bitrix24Installer#ROBOT_CODE}; apidocs.bitrix24.com api-reference/bizproc/bizproc-robot/bizproc-robot-add):
 * a workflow posts {@code code}, {@code event_token}, {@code document_id[]}, the robot's {@code properties[...]} (text,
 * or a WABA template id and its substitutions, already filled from the document) and {@code auth}; the
 * {@code application_token} authenticates it as for events. It is journaled like an event and answered at once; the
 * dispatcher reads the entity's phone and queues one Pact message per {@code event_token}.
 */
@Controller("/bitrix24/robot")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24RobotController {

    private final Bitrix24Callbacks callbacks;
    private final WebhookIntake intake;

    Bitrix24RobotController(Bitrix24Callbacks callbacks, WebhookIntake intake) {
        this.callbacks = callbacks;
        this.intake = intake;
    }

    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> run(@Nullable @Body byte[] body, HttpRequest<?> request) {
        BracketedForm form = Bitrix24Callbacks.form(body);
        Installation installation = callbacks.installation(form, "robot");
        String token = form.get("event_token");
        if (!Bitrix24Installer.ROBOT_CODE.equals(form.get("code")) || token == null || token.isBlank() || token.length() > 200
                || form.get("document_id[2]") == null) {
            throw ProblemException.badRequest("code, event_token and document_id are required");
        }
        boolean stored = intake.accept(installation.id(), EventSource.BITRIX24, Bitrix24Callbacks.withoutSecrets(form), request.getHeaders());
        return Map.of("status", stored ? "accepted" : "duplicate");
    }
}
