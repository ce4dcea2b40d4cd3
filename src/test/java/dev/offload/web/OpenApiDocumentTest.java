package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.offload.testing.openapi.OpenApiContract;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document itself: valid OpenAPI 3.1 to a maintained parser (swagger-parser, which
 * every reference resolves in), every schema valid JSON Schema 2020-12, and the house rules
 * that make it useful: every resource answers HEAD and OPTIONS, every error is a problem, every
 * response that must carry a header says so.
 */
class OpenApiDocumentTest {
  private static String text;
  private static OpenAPI api;

  @BeforeAll
  static void parse() throws IOException {
    text = Files.readString(OpenApiContract.DOCUMENT, StandardCharsets.UTF_8);
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    options.setResolveFully(true); // responses, headers and parameters inlined where referenced
    options.setValidateInternalRefs(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
    assertThat(result.getMessages()).as("what swagger-parser finds wrong").isEmpty();
    api = result.getOpenAPI();
  }

  @Test
  void theParserWouldNoticeABrokenDocument() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    options.setValidateInternalRefs(true);
    String broken = text.replaceFirst("#/components/responses/NotFound",
        "#/components/responses/Nowhere").replaceFirst("\"operationId\": \"getTask\"",
        "\"operationId\": 7");
    // The parser also logs the broken reference as SEVERE: expected here, so kept out of the log.
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.swagger.v3.parser");
    java.util.logging.Level level = log.getLevel();
    log.setLevel(java.util.logging.Level.OFF);
    try {
      assertThat(new OpenAPIV3Parser().readContents(broken, null, options).getMessages())
          .isNotEmpty();
    } finally {
      log.setLevel(level);
    }
  }

  @Test
  void isOpenApi31WithEveryPathOfTheApi() {
    assertThat(api.getOpenapi()).isEqualTo("3.1.0");
    assertThat(api.getPaths()).containsOnlyKeys("/api/tasks", "/api/tasks/{id}",
        "/api/tasks/{id}/events", "/api/tasks/{id}/retry", "/api/tasks/cancel", "/api/types",
        "/api/me", "/api/stats", "/api/health", "/api/health/live", "/api/health/ready",
        "/api/openapi.json", "/metrics");
    assertThat(api.getComponents().getSecuritySchemes()).containsOnlyKeys("basicAuth",
        "bearerAuth");
    assertThat(api.getComponents().getSecuritySchemes().get("basicAuth").getScheme())
        .isEqualTo("basic");
    assertThat(api.getComponents().getSecuritySchemes().get("bearerAuth").getScheme())
        .isEqualTo("bearer");
  }

  @Test
  void everySchemaIsValidJsonSchema202012() {
    Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
        .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    JsonObject schemas;
    try (JsonReader r = Json.createReader(new StringReader(text))) {
      schemas = r.readObject().getJsonObject("components").getJsonObject("schemas");
    }
    assertThat(schemas).isNotEmpty();
    schemas.forEach((name, schema) -> assertThat(meta.validate(schema.toString(),
        InputFormat.JSON)).as(name).isEmpty());
  }

  @Test
  void everyResourceAnswersHeadWhereItAnswersGetAndOptionsEverywhere() {
    api.getPaths().forEach((path, item) -> {
      assertThat(item.getOptions()).as("OPTIONS %s", path).isNotNull();
      assertThat(item.getOptions().getResponses().get("204").getHeaders()).as(path)
          .containsKey("Allow");
      if (item.getGet() != null) {
        assertThat(item.getHead()).as("HEAD %s", path).isNotNull();
        // A HEAD never waits nor streams, so it may answer less than its GET (no 429).
        assertThat(item.getHead().getResponses().keySet()).as(path)
            .contains("200").isSubsetOf(item.getGet().getResponses().keySet());
      }
    });
  }

  @Test
  void everyErrorIsAProblemAndCarriesTheHeadersItMust() {
    Map<String, String> required = Map.of("401", "WWW-Authenticate", "405", "Allow",
        "429", "Retry-After", "503", "Retry-After");
    api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) ->
        op.getResponses().forEach((status, response) -> {
          String where = method + " " + path + " " + status;
          // Health answers 503 with its own body: a load balancer reads the status from it.
          boolean healthDown = path.startsWith("/api/health") && status.equals("503");
          if ((status.startsWith("4") || status.startsWith("5")) && !healthDown) {
            assertThat(response.getContent()).as(where).containsOnlyKeys(
                "application/problem+json");
          }
          if (required.containsKey(status)) {
            assertThat(response.getHeaders()).as(where).containsKey(required.get(status));
            assertThat(response.getHeaders().get(required.get(status)).getRequired()).as(where)
                .isTrue();
          }
        })));
  }

  @Test
  void aSubmissionAnswersWithLocationAndEveryOperationListsItsFailures() {
    Operation submit = api.getPaths().get("/api/tasks").getPost();
    ApiResponse accepted = submit.getResponses().get("202");
    assertThat(accepted.getHeaders().get("Location").getRequired()).isTrue();
    assertThat(accepted.getHeaders().get("Retry-After").getRequired()).isTrue();
    assertThat(submit.getResponses()).containsKeys("200", "202", "400", "401", "403", "413",
        "415", "422", "429", "500", "503");
    assertThat(api.getPaths().get("/api/tasks/{id}").getDelete().getResponses())
        .containsKeys("200", "404", "409");
    ApiResponse retried = api.getPaths().get("/api/tasks/{id}/retry").getPost().getResponses()
        .get("202");
    assertThat(retried.getHeaders().get("Location").getRequired()).isTrue();
    for (PathItem item : api.getPaths().values()) {
      item.readOperations().forEach(op -> assertThat(op.getResponses()).as(op.getOperationId())
          .containsKey("500"));
    }
    List<String> ids = api.getPaths().values().stream()
        .flatMap(i -> i.readOperations().stream()).map(Operation::getOperationId).toList();
    assertThat(ids).doesNotHaveDuplicates().doesNotContainNull();
  }

  @Test
  void theTaskViewAndTheProblemAllowNothingUndocumented() {
    for (String name : List.of("TaskView", "TaskSummary", "Problem", "Me", "HealthStatus",
        "HealthDetails", "TaskList", "TaskType", "Stats", "TypeStats", "MinuteStats",
        "BulkCancel", "BulkCancelRequest")) {
      // OpenAPI 3.1 models "additionalProperties: false" as the boolean schema false.
      Object additional = api.getComponents().getSchemas().get(name).getAdditionalProperties();
      assertThat(additional instanceof io.swagger.v3.oas.models.media.Schema<?> s
          ? s.getBooleanSchemaValue() : additional).as(name).isEqualTo(Boolean.FALSE);
    }
    assertThat(api.getComponents().getSchemas().get("Problem").getProperties())
        .containsKeys("knownTypes", "existingTask", "taskStatus", "limit", "max");
  }

  @Test
  void theCallbackIsDescribedAsAWebhookWithItsSignatureHeaders() {
    Operation ended = api.getWebhooks().get("taskEnded").getPost();
    assertThat(ended.getRequestBody().getContent().get("application/json").getSchema()
        .getAdditionalProperties()).isNotNull(); // inlined TaskView: closed like the answers
    assertThat(ended.getParameters()).extracting(p -> p.getName() + ":" + p.getRequired())
        .containsExactly("webhook-id:true", "webhook-timestamp:true", "webhook-signature:false");
    assertThat(api.getComponents().getSchemas().get("SubmitRequest").getProperties())
        .containsKey("callback");
    for (String view : List.of("TaskView", "TaskSummary")) {
      assertThat(api.getComponents().getSchemas().get(view).getRequired()).as(view)
          .contains("callback");
    }
    assertThat(api.getComponents().getSchemas().get("Callback").getProperties())
        .as("the view never has a place for the secret").doesNotContainKey("secret");
  }
}
