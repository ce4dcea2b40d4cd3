package dev.offload;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The arrows of DESIGN.md, held by the build: web -> engine -> store -> task; handlers -> task
 * (and outbound); web -> webhooks -> engine; outbound below them all.
 */
@AnalyzeClasses(packages = "dev.offload", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule coreNeverSeesTheServletApi = noClasses()
      .that().resideInAnyPackage("dev.offload.task..", "dev.offload.engine..",
          "dev.offload.store..", "dev.offload.handlers..", "dev.offload.webhooks..",
          "dev.offload.outbound..")
      .should().dependOnClassesThat().resideInAnyPackage("jakarta.servlet..");

  @ArchTest
  static final ArchRule engineDoesNotKnowTheWeb = noClasses()
      .that().resideInAnyPackage("dev.offload.engine..", "dev.offload.store..",
          "dev.offload.task..", "dev.offload.handlers..", "dev.offload.webhooks..")
      .should().dependOnClassesThat().resideInAPackage("dev.offload.web..");

  @ArchTest
  static final ArchRule storeDoesNotKnowTheEngine = noClasses()
      .that().resideInAnyPackage("dev.offload.store..", "dev.offload.task..")
      .should().dependOnClassesThat().resideInAPackage("dev.offload.engine..");

  @ArchTest
  static final ArchRule taskVocabularyStandsAlone = noClasses()
      .that().resideInAPackage("dev.offload.task..")
      .should().dependOnClassesThat().resideInAnyPackage("dev.offload.store..",
          "dev.offload.handlers..");

  /**
   * The servlets see the engine and the vocabulary only; the composition root alone (the
   * listener that builds everything, the configuration it reads, the store factory, and the
   * record that holds what it built) knows which store there is.
   */
  @ArchTest
  static final ArchRule servletsDoNotSeeTheStore = noClasses()
      .that().resideInAPackage("dev.offload.web..")
      .and().resideOutsideOfPackage("dev.offload.web.metrics..")
      .and().doNotHaveSimpleName("OffloadListener")
      .and().doNotHaveSimpleName("StoreFactory")
      .and().doNotHaveSimpleName("Offload")
      .and().doNotHaveSimpleName("OffloadConfig")
      .and().doNotHaveSimpleName("StoreConfig")
      .should().dependOnClassesThat().resideInAPackage("dev.offload.store..");

  /**
   * The vocabulary is published as a jar of its own (classifier {@code api}) that handler
   * projects compile against and that Offload's WAR provides at run time: a class of it that
   * used anything beyond the JDK would leave them with a class missing.
   */
  @ArchTest
  static final ArchRule theApiJarNeedsOnlyTheJdk = classes()
      .that().resideInAPackage("dev.offload.task..")
      .should().onlyDependOnClassesThat().resideInAnyPackage("dev.offload.task..", "java..");

  /**
   * The metrics are the web layer's business: the engine tells what happens through its
   * TaskEvents, the store is timed from outside by a decorator, and neither knows Micrometer.
   */
  @ArchTest
  static final ArchRule onlyTheWebLayerKnowsMicrometer = noClasses()
      .that().resideInAnyPackage("dev.offload.task..", "dev.offload.engine..",
          "dev.offload.store..", "dev.offload.handlers..", "dev.offload.webhooks..",
          "dev.offload.outbound..")
      .should().dependOnClassesThat().resideInAnyPackage("io.micrometer..", "io.prometheus..");

  /**
   * The metrics package is composition-root material (it decorates the store, which is why it
   * may see it) and a plain library: no servlet, and nothing of the web layer above it, so the
   * arrow runs web -> web.metrics and never back.
   */
  @ArchTest
  static final ArchRule metricsAreAPlainLibraryBelowTheServlets = noClasses()
      .that().resideInAPackage("dev.offload.web.metrics..")
      .should().dependOnClassesThat().resideInAnyPackage("jakarta.servlet..", "dev.offload.web");

  @ArchTest
  static final ArchRule handlersOnlyUseTheVocabulary = noClasses()
      .that().resideInAPackage("dev.offload.handlers..")
      .should().dependOnClassesThat().resideInAnyPackage("dev.offload.engine..",
          "dev.offload.store..", "dev.offload.web..", "dev.offload.webhooks..");

  /**
   * The webhook deliverer sits above the engine, as the servlets do: it claims owed deliveries
   * through the engine (never from the store itself), and the engine knows nothing of it (it
   * only tells whoever listens that a task ended).
   */
  @ArchTest
  static final ArchRule webhooksGoThroughTheEngine = noClasses()
      .that().resideInAPackage("dev.offload.webhooks..")
      .should().dependOnClassesThat().resideInAnyPackage("dev.offload.store..",
          "dev.offload.handlers..");

  @ArchTest
  static final ArchRule theEngineDoesNotKnowTheDeliverer = noClasses()
      .that().resideInAnyPackage("dev.offload.engine..", "dev.offload.store..",
          "dev.offload.task..", "dev.offload.outbound..")
      .should().dependOnClassesThat().resideInAPackage("dev.offload.webhooks..");

  /**
   * Calling out (address rules, the pinning egress proxy, capped bodies, the Standard Webhooks
   * signature) is a plain library that the http task type and the webhook deliverer share: it
   * knows nothing of Offload above it, so either can use it without an arrow pointing back.
   */
  @ArchTest
  static final ArchRule outboundIsAPlainLibrary = classes()
      .that().resideInAPackage("dev.offload.outbound..")
      .should().onlyDependOnClassesThat().resideInAnyPackage("dev.offload.outbound..", "java..",
          "javax.net..", "javax.crypto..");
}
