package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.bitrix24.Bitrix24MemberId;
import com.pactcrm.connector.bitrix24.placement.Bitrix24Frames;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pages the CRM frames ({@code /ui/card}, {@code /ui/settings}; built from {@code widget/ui/}).
 * Only the CRMs' own pages may frame them: any amoCRM/Kommo account (the widget opens them from the
 * account's page), and a Bitrix24 portal only when the page is opened for it ({@code portal} = its
 * {@code member_id}, as the Bitrix24 frames redirect here). Bitrix24 portals are not allowed wholesale:
 * they live on any domain (custom domains included), so only the installed portal's stored domain is named.
 */
@Controller("/ui")
@ExecuteOn(TaskExecutors.BLOCKING)
class UiPageController {

    /**
     * The pages load only their own scripts, styles and API (no inline code, nothing from elsewhere), so an injected
     * tag cannot run; they may be framed by amoCRM/Kommo accounts (amocrm.md §3) and, per request, one Bitrix24 portal.
     */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'self' https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com";

    private final InstallationRepository installations;
    private final Bitrix24Configuration bitrix24;
    private final Map<String, String> pages = new ConcurrentHashMap<>();

    UiPageController(InstallationRepository installations, Bitrix24Configuration bitrix24) {
        this.installations = installations;
        this.bitrix24 = bitrix24;
    }

    @Get(uri = "/{page:card|settings}", produces = MediaType.TEXT_HTML)
    HttpResponse<String> page(@PathVariable String page, @Nullable @QueryValue String portal) {
        String ancestors = portal == null ? CONTENT_SECURITY_POLICY
                : CONTENT_SECURITY_POLICY + " " + Bitrix24Frames.origin(bitrix24, bitrix24Portal(portal).crmHost());
        return HttpResponse.ok(pages.computeIfAbsent(page, UiPageController::load))
                .header("Content-Security-Policy", ancestors)
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache");
    }

    /** @throws ProblemException 400 for a malformed {@code member_id}, 404 when no active installation has it */
    private Installation bitrix24Portal(String memberId) {
        String canonical = Bitrix24MemberId.canonicalOrNull(memberId);
        if (canonical == null) {
            throw ProblemException.badRequest("portal must be a Bitrix24 member_id");
        }
        return installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, canonical)
                .filter(Installation::active)
                .filter(i -> i.crmHost() != null)
                .orElseThrow(() -> new ProblemException(HttpStatus.NOT_FOUND, "Not Found",
                        "the connector is not installed in this Bitrix24 portal"));
    }

    private static String load(String page) {
        try (InputStream in = UiPageController.class.getResourceAsStream("/ui/" + page + ".html")) {
            if (in == null) {
                throw ProblemException.notFound();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
