package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.quickreply.QuickReplyTemplate;
import com.pactcrm.connector.quickreply.QuickReplyTemplateRepository;
import com.pactcrm.connector.quickreply.QuickReplyText;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;

/**
 * Quick-reply templates (CRM admins manage them; managers get them filled in the card's context). Bodies may use
 * {@code {{contact.name}}} and {@code {{user.name}}}; any other variable is refused, so no client ever receives braces.
 */
@Controller("/api/v1/templates")
@ExecuteOn(TaskExecutors.BLOCKING)
class QuickReplyController {

    record TemplateInput(@Nullable String title, @Nullable String body, @Nullable Integer position) {
    }

    record Templates(List<QuickReplyTemplate> templates, List<String> variables) {
    }

    private static final int MAX_BODY = 4000;

    private final WidgetAuth auth;
    private final QuickReplyTemplateRepository templates;

    QuickReplyController(WidgetAuth auth, QuickReplyTemplateRepository templates) {
        this.auth = auth;
        this.templates = templates;
    }

    @Get
    Templates list(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        long installationId = auth.admin(authorization, origin).installation().id();
        return new Templates(templates.findByInstallation(installationId),
                List.of(QuickReplyText.CONTACT_NAME, QuickReplyText.USER_NAME));
    }

    @Post
    HttpResponse<QuickReplyTemplate> create(@Nullable @Header("Authorization") String authorization,
                                            @Nullable @Header("Origin") String origin, @Body TemplateInput input) {
        long installationId = auth.admin(authorization, origin).installation().id();
        validate(input);
        return HttpResponse.created(templates.save(new QuickReplyTemplate(null, installationId, input.title().strip(),
                input.body(), input.position() == null ? 0 : input.position())));
    }

    @Put("/{id}")
    QuickReplyTemplate update(@Nullable @Header("Authorization") String authorization,
                              @Nullable @Header("Origin") String origin, @PathVariable long id, @Body TemplateInput input) {
        long installationId = auth.admin(authorization, origin).installation().id();
        validate(input);
        QuickReplyTemplate old = templates.find(installationId, id).orElseThrow(ProblemException::notFound);
        return templates.update(new QuickReplyTemplate(old.id(), installationId, input.title().strip(), input.body(),
                input.position() == null ? old.position() : input.position()));
    }

    @Delete("/{id}")
    HttpResponse<Void> delete(@Nullable @Header("Authorization") String authorization,
                              @Nullable @Header("Origin") String origin, @PathVariable long id) {
        long installationId = auth.admin(authorization, origin).installation().id();
        if (templates.delete(installationId, id) == 0) {
            throw ProblemException.notFound();
        }
        return HttpResponse.noContent();
    }

    private static void validate(TemplateInput input) {
        if (input.title() == null || input.title().isBlank() || input.title().length() > 255) {
            throw ProblemException.badRequest("a quick reply needs a title (at most 255 characters)");
        }
        if (input.body() == null || input.body().isBlank() || input.body().length() > MAX_BODY) {
            throw ProblemException.badRequest("a quick reply needs a text (at most " + MAX_BODY + " characters)");
        }
        List<String> unknown = QuickReplyText.unknownVariables(input.body());
        if (!unknown.isEmpty()) {
            throw ProblemException.badRequest("unknown variables " + unknown + ": use {{contact.name}} or {{user.name}}");
        }
    }
}
