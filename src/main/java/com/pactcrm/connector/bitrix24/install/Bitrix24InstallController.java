package com.pactcrm.connector.bitrix24.install;

import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.bitrix24.Bitrix24MemberId;
import com.pactcrm.connector.bitrix24.placement.Bitrix24Frames;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.crm.form.MalformedFormException;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.InboundCallLimiter;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's install URL. Two callers (bitrix24.md §1.2–§1.4):
 * <ul>
 *   <li>the installer frame: a POST with {@code DOMAIN}, {@code PROTOCOL}, {@code LANG} in the query and
 *       {@code AUTH_ID}, {@code REFRESH_ID}, {@code AUTH_EXPIRES}, {@code member_id}, {@code APPLICATION_TOKEN} in
 *       the form body; the answered page must call {@code BX24.installFinish()} once binding succeeded, or the
 *       portal delivers no events and shows no widgets;</li>
 *   <li>the {@code ONAPPINSTALL} event: {@code event=ONAPPINSTALL} with the tokens under {@code auth[...]}; it may
 *       arrive late or alone, and is enough on its own.</li>
 * </ul>
 */
@Controller("/bitrix24/install")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24InstallController {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24InstallController.class);

    private final Bitrix24Installer installer;
    private final Bitrix24Configuration config;
    private final InboundCallLimiter limiter;

    Bitrix24InstallController(Bitrix24Installer installer, Bitrix24Configuration config, InboundCallLimiter limiter) {
        this.installer = installer;
        this.config = config;
        this.limiter = limiter;
    }

    @Post(consumes = MediaType.ALL, produces = {MediaType.TEXT_HTML, MediaType.APPLICATION_JSON})
    HttpResponse<?> install(@Nullable @QueryValue("DOMAIN") String domain, @Nullable @Body byte[] body,
                            HttpRequest<?> request) {
        if (!config.configured()) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable",
                    "the Bitrix24 application is not configured");
        }
        BracketedForm form = parse(body);
        boolean event = "ONAPPINSTALL".equalsIgnoreCase(form.get("event"));
        String memberId = Bitrix24MemberId.canonicalOrNull(event ? form.get("auth[member_id]") : form.get("member_id"));
        String refreshToken = event ? form.get("auth[refresh_token]") : form.get("REFRESH_ID");
        String applicationToken = event ? form.get("auth[application_token]") : form.get("APPLICATION_TOKEN");
        if (memberId == null || refreshToken == null || applicationToken == null) {
            throw ProblemException.badRequest("member_id (32 hexadecimal characters), the refresh token and the "
                    + "application token are required");
        }
        // Whoever posts this makes us trade the refresh token at the OAuth server: bounded per address and portal.
        limiter.admit(InboundCallLimiter.Kind.INSTALL, request, memberId);
        Installation installation;
        try {
            installation = installer.install(memberId, refreshToken, applicationToken);
        } catch (Bitrix24Installer.InstallRefusedException e) {
            LOG.warn("event=bitrix24_install_refused memberId={} domain={} reason=\"{}\"", memberId, domain, e.getMessage());
            throw new ProblemException(e.status(), e.status().getReason(), e.getMessage());
        } catch (OutboundCallException e) {
            LOG.error("event=bitrix24_install_failed memberId={} domain={} error=\"{}\"", memberId, domain, e.getMessage());
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "Bad Gateway", "Bitrix24 did not complete the installation");
        }
        if (event) {
            return HttpResponse.ok(Map.of("status", "installed")).contentType(MediaType.APPLICATION_JSON_TYPE);
        }
        return Bitrix24Frames.framable(HttpResponse.ok(finishPage()), config, installation.crmHost());
    }

    private static BracketedForm parse(byte[] body) {
        try {
            BracketedForm form = BracketedForm.parse(body);
            if (form.isEmpty()) {
                throw ProblemException.badRequest("the install request has no form body");
            }
            return form;
        } catch (MalformedFormException e) {
            throw ProblemException.badRequest("the body is not form-urlencoded");
        }
    }

    /** BX24.js finishes the install (bitrix24.md §4.3, https://apidocs.bitrix24.com/sdk/bx24-js-sdk/system-functions/bx24-install-finish.html). */
    private static String finishPage() {
        return """
                <!doctype html>
                <html lang="pt"><head><meta charset="utf-8"><title>Pact</title>
                <script src="https://api.bitrix24.com/api/v1/"></script></head>
                <body style="font-family:sans-serif">
                <h1>Pact conectado ao Bitrix24</h1>
                <p>Eventos e botões do cartão configurados. Concluindo a instalação…</p>
                <script>BX24.init(function () { BX24.installFinish(); });</script>
                </body></html>
                """;
    }
}
