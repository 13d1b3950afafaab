import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;

/**
 * Drives the embedded ClickHouse with the ClickHouse JDBC driver, as Metabase and DBeaver do.
 *
 * Arguments: JDBC URL, user, password, table, a file of queries (separated by lines "-- next";
 * {employee:String} becomes a JDBC parameter), the employee id to bind, a file of rows to
 * insert (employee_id TAB units per line), then driver properties as key=value.
 * Creates the table, inserts the rows in one batch, reads them back and runs every query;
 * prints "readback <employee_id>\t<units>", "query <n> rows=<rows> columns=<columns>" lines.
 */
public class JdbcClient {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", args[1]);
        properties.setProperty("password", args[2]);
        for (int i = 7; i < args.length; i++) {
            String[] pair = args[i].split("=", 2);
            properties.setProperty(pair[0], pair[1]);
        }
        String table = args[3];
        String[] queries = Files.readString(Path.of(args[4])).split("(?m)^-- next$");
        List<String> rows = Files.readAllLines(Path.of(args[6]));
        try (Connection connection = DriverManager.getConnection(args[0], properties)) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE " + table + " (employee_id String, units UInt64) ENGINE = MergeTree ORDER BY employee_id");
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " (employee_id, units) VALUES (?, ?)")) {
                for (String row : rows) {
                    String[] fields = row.split("\t");
                    insert.setString(1, fields[0]);
                    insert.setLong(2, Long.parseLong(fields[1]));
                    insert.addBatch();
                }
                int[] counts = insert.executeBatch();
                System.out.println("inserted " + counts.length);
            }
            try (Statement statement = connection.createStatement();
                 ResultSet result = statement.executeQuery("SELECT employee_id, units FROM " + table + " ORDER BY employee_id")) {
                while (result.next()) System.out.println("readback " + result.getString(1) + "\t" + result.getLong(2));
            }
            int n = 0;
            for (String query : queries) {
                if (query.isBlank()) continue;
                boolean bound = query.contains("{employee:String}");
                try (PreparedStatement statement = connection.prepareStatement(query.replace("{employee:String}", "?"))) {
                    if (bound) statement.setString(1, args[5]);
                    try (ResultSet result = statement.executeQuery()) {
                        int count = 0;
                        while (result.next()) count++;
                        System.out.println("query " + n + " rows=" + count + " columns=" + result.getMetaData().getColumnCount());
                    }
                }
                n++;
            }
        }
    }
}
