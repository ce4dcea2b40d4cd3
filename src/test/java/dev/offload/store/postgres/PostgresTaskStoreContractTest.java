package dev.offload.store.postgres;

import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.store.TaskStoreContractTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The PostgreSQL store against the shared contract, on a real server. */
@ExtendWith(PostgresExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresTaskStoreContractTest extends TaskStoreContractTest {
  private TestDatabase db;

  @BeforeAll
  void database(TestDatabase db) {
    this.db = db;
  }

  @Override
  protected TaskStore createStore(StoreLimits limits) {
    PostgresTaskStore store = PostgresTaskStore.open(db.settings(limits, 2));
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE offload_task");
    } catch (SQLException e) {
      store.close();
      throw new IllegalStateException(e);
    }
    return store;
  }
}
