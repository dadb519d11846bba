package com.pactcrm.connector.security;

import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;

/**
 * Every answer is to be taken as the type it declares: a browser must not sniff a JSON error or an uploaded-looking
 * body into a script or a page ({@code X-Content-Type-Options: nosniff}).
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
class NoSniffFilter {

    @ResponseFilter
    void noSniff(MutableHttpResponse<?> response) {
        response.header("X-Content-Type-Options", "nosniff");
    }
}
