package com.pactcrm.connector.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The renders recorded for machines without kubectl are what kubectl prints now: a change under
 * {@code manifests/} fails here until its render is recorded again.
 */
class RecordedRendersTest {

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void theRecordedRenderIsWhatKubectlKustomizePrints(String dir) {
        assumeTrue(KubectlKustomize.available(), "kubectl not found (or KUBECTL not runnable): the manifest checks ran on "
                + "the recorded renders in " + Rendered.RECORDED + ", which could not be compared with the manifests");
        assertEquals(Rendered.recorded(dir), KubectlKustomize.render(Rendered.MANIFESTS.resolve(dir)),
                "manifests/" + dir + " renders differently from its recorded render; record it again with: kubectl kustomize manifests/"
                        + dir + " > " + Rendered.recordedFile(dir));
    }
}
