package com.pactcrm.connector;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Keeps the two test tiers apart, so that {@code ./mvnw test} stays a fast inner loop: a {@code *Test} runs under
 * Surefire and may not boot the service, open the database, start a fake's HTTP server, another process or a browser;
 * everything that does is a {@code *IT} and runs under Failsafe in {@code ./mvnw verify}. A test class named neither
 * way would run in no tier at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TestTiersTest {

    private JavaClasses tests;

    @BeforeAll
    void importTestClasses() {
        tests = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
                .importPackages("com.pactcrm.connector");
        assertTrue(tests.contain("com.pactcrm.connector.TestTiersTest"), "the test classes were imported");
    }

    @Test
    void applicationContextTestsAreIntegrationTests() {
        assertHolds(classes().that().areAnnotatedWith(MicronautTest.class)
                .should().haveSimpleNameEndingWith("IT")
                .because("a test that boots the service belongs to the Failsafe tier"));
    }

    @Test
    void fastTestsTouchNoServerDatabaseProcessOrBrowser() {
        assertHolds(noClasses().that().haveSimpleNameEndingWith("Test")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "com.github.tomakehurst.wiremock..", "ch.vorburger..", "java.sql..", "javax.sql..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.micronaut.context.ApplicationContext")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.micronaut.runtime.server.EmbeddedServer")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.ProcessBuilder")
                .orShould().dependOnClassesThat().haveFullyQualifiedName(
                        "com.pactcrm.connector.database.EmbeddedMariaDbServer")
                .orShould().dependOnClassesThat().haveFullyQualifiedName(
                        "com.pactcrm.connector.testsupport.ServiceProcess")
                .orShould().dependOnClassesThat().haveFullyQualifiedName(
                        "com.pactcrm.connector.testsupport.NodeBrowserTests")
                .because("./mvnw test is the fast tier: no application context, database, HTTP fake, process or browser"));
    }

    @Test
    void everyTestMethodIsInATier() {
        assertHolds(methods().that().areAnnotatedWith(Test.class)
                .should().beDeclaredInClassesThat().haveSimpleNameEndingWith("Test")
                .orShould().beDeclaredInClassesThat().haveSimpleNameEndingWith("IT"));
    }

    private void assertHolds(ArchRule rule) {
        EvaluationResult result = rule.evaluate(tests);
        assertFalse(result.hasViolation(), () -> result.getFailureReport().toString());
    }
}
