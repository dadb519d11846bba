package com.pactcrm.connector.ops;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import java.util.Map;

/**
 * The HTTP ceiling for the webhook benchmark: reads the body and answers 200, nothing else (no
 * database, no thread hop). It exists only in the {@code benchmark} environment, never in production.
 */
@Controller("/bench")
@Requires(env = "benchmark")
class BenchmarkNoopController {

    private static final Map<String, String> OK = Map.of("status", "ok");

    @Post(uri = "/noop", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> noop(@Body byte[] body) {
        return OK;
    }
}
