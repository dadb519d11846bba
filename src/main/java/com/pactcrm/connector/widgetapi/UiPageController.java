package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pages the CRM frames ({@code /ui/card}, {@code /ui/settings}; built from {@code widget/ui/}).
 * Only the CRMs' own pages may frame them.
 */
@Controller("/ui")
class UiPageController {

    /** amoCRM/Kommo accounts (amocrm.md §3); Bitrix24 portals join with their issue. */
    private static final String FRAME_ANCESTORS =
            "frame-ancestors 'self' https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com";

    private final Map<String, String> pages = new ConcurrentHashMap<>();

    @Get(uri = "/{page:card|settings}", produces = MediaType.TEXT_HTML)
    HttpResponse<String> page(@PathVariable String page) {
        return HttpResponse.ok(pages.computeIfAbsent(page, UiPageController::load))
                .header("Content-Security-Policy", FRAME_ANCESTORS)
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache");
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
