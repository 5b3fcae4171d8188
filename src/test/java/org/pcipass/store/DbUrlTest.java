package org.pcipass.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;

/** The fleet's database URL: libpq's and pgjdbc's forms, exit 2 for anything else, never a password shown. */
class DbUrlTest {
    @Test
    void libpqUrlBecomesAJdbcUrlWithItsUserPasswordAndParametersApart() {
        DbUrl u = DbUrl.parse("postgresql://ops:s3cr%40t@db1.example.org:5433/fleet?sslmode=require", "--db");
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://db1.example.org:5433/fleet");
        assertThat(u.properties()).containsEntry("user", "ops").containsEntry("password", "s3cr@t")
                .containsEntry("sslmode", "require").hasSize(3);
        assertThat(u.target()).isEqualTo("db1.example.org:5433/fleet");
        assertThat(u.toString()).isEqualTo("postgresql://ops:***@db1.example.org:5433/fleet?sslmode=require");
    }

    @Test
    void libpqParameterNamesBecomePgjdbcsWhereTheyDiffer() {
        assertThat(DbUrl.parse("postgresql://db1/fleet?application_name=ops&connect_timeout=3&sslmode=verify-full",
                "--db").properties()).containsEntry("ApplicationName", "ops").containsEntry("connectTimeout", "3")
                .containsEntry("sslmode", "verify-full").hasSize(3);
    }

    @Test
    void postgresSchemeDefaultPortNoUserAndIpv6Host() {
        assertThat(DbUrl.parse("postgres://db1/fleet", "PCIPASS_DB").target()).isEqualTo("db1:5432/fleet");
        assertThat(DbUrl.parse("postgres://db1/fleet", "PCIPASS_DB").properties()).isEmpty();
        DbUrl v6 = DbUrl.parse("postgresql://pcipass@[::1]:6000/fleet", "--db");
        assertThat(v6.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:6000/fleet");
        assertThat(v6.properties()).containsEntry("user", "pcipass");
    }

    @Test
    void jdbcUrlIsPassedAsGivenAndItsTargetAndPasswordParameterUnderstood() {
        DbUrl u = DbUrl.parse("jdbc:postgresql://10.0.0.5:5544/fleet?user=ops&password=hunter2", "--db");
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://10.0.0.5:5544/fleet?user=ops&password=hunter2");
        assertThat(u.target()).isEqualTo("10.0.0.5:5544/fleet");
        assertThat(u.toString()).isEqualTo("jdbc:postgresql://10.0.0.5:5544/fleet?user=ops&password=***");
        assertThat(DbUrl.parse("jdbc:postgresql:fleet", "--db").target()).isEqualTo("localhost:5432/fleet");
    }

    @Test
    void anythingElseIsOneLineOfBadInputNamingWhereItCameFromAndTheFix() {
        String fix = "; write postgresql://USER[:PASSWORD]@HOST[:PORT]/DB or jdbc:postgresql://HOST[:PORT]/DB?user=USER";
        bad("mysql://root@db/fleet", "--db", "--db 'mysql://root@db/fleet' is not a PostgreSQL URL" + fix);
        bad("", "PCIPASS_DB", "PCIPASS_DB '' is empty" + fix);
        bad("postgresql://db1", "--db", "--db 'postgresql://db1' names no database" + fix);
        bad("postgresql:///fleet", "--db", "--db 'postgresql:///fleet' names no host" + fix);
        bad("postgresql://db1:99999/fleet", "/s/pcipass.conf line 3",
                "/s/pcipass.conf line 3 'postgresql://db1:99999/fleet' has a port that is not a number from 1 to 65535"
                        + fix);
        bad("jdbc:postgresql://db1:port/fleet", "--db",
                "--db 'jdbc:postgresql://db1:port/fleet' is not a URL PostgreSQL's JDBC driver accepts" + fix);
    }

    @Test
    void aPasswordIsNeverInAMessage() {
        for (String url : new String[] {"postgresql://ops:hunter2@db1:notaport/fleet", "postgresql://ops:hun@ter2@db1/",
                "postgres://ops:hunter2/x@db1:1/fleet?x", "jdbc:postgresql://db1:x/fleet?password=hunter2",
                "postgresql://ops@db1/fleet?password=hunter2&x", "mysql://ops:hunter2@db1/fleet"}) {
            assertThatThrownBy(() -> DbUrl.parse(url, "--db")).isInstanceOf(PcipassException.BadInput.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2", "ter2").doesNotContain("\n"));
        }
        assertThat(DbUrl.parse("postgresql://ops:hunter2@db1/fleet", "--db").toString()).doesNotContain("hunter2");
    }

    private static void bad(String url, String where, String message) {
        assertThatThrownBy(() -> DbUrl.parse(url, where)).isInstanceOf(PcipassException.BadInput.class)
                .hasMessage(message).extracting(e -> ((PcipassException) e).exitCode()).isEqualTo(2);
    }
}
