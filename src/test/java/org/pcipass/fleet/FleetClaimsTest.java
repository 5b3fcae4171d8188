package org.pcipass.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcipass.PcipassException;
import org.pcipass.store.DbUrl;
import org.pcipass.store.FleetClaims;
import org.pcipass.store.FleetStore;
import org.pcipass.testing.Postgres;

/**
 * Claims on a real PostgreSQL: the first host by name that fits, Nova's device order, a PF and its VFs
 * never both held, the closest shortfall, one claim per guest, release, expiry, down hosts.
 */
class FleetClaimsTest {
    private static Postgres pg;
    private static int databases;

    @BeforeAll
    static void start() throws Exception {
        pg = Postgres.shared();
    }

    private static synchronized FleetStore fresh() throws Exception {
        return FleetStore.open(DbUrl.parse(pg.createDatabase("claims" + ++databases), "--db"), "test");
    }

    private static FleetClaims.Claim claim(FleetStore s, String guest, String alias, List<Integer> cells) {
        return claim(s, guest, alias, cells, FleetClaims.DEFAULT_TTL);
    }

    private static FleetClaims.Claim claim(FleetStore s, String guest, String alias, List<Integer> cells, Duration ttl) {
        return new FleetClaims(s).claim(guest, FleetClaims.CLAIM, alias, null, null, ttl, Set.of(),
                ClaimPlanner.placer(FleetFixture.aliases().requests(alias, null), cells));
    }

    @Test
    void aClaimTakesTheFirstHostByNameThatFitsAndNovasDeviceOrder() throws Exception {
        try (FleetStore s = fresh()) {
            s.publish(FleetFixture.host("node-b", 2, 2));
            s.publish(FleetFixture.host("node-a", 1, 2));
            // node-a has one GPU: two go to node-b, whose pool order (node 0 first) and last-first order apply
            FleetClaims.Claim c = claim(s, "vm1", "gpu:2", null);
            assertThat(c.host()).isEqualTo("node-b");
            assertThat(c.devices()).containsExactly("0000:3b:00.0", "0000:3c:00.0");
            assertThat(claim(s, "vm2", "gpu:1", null).host()).isEqualTo("node-a");
            // a VF then makes node-a's PF unavailable, and the PF request goes to node-b
            assertThat(claim(s, "vm3", "vf:1", null).devices()).containsExactly("0000:81:02.1");
            FleetClaims.Claim pf = claim(s, "vm4", "pf:1", null);
            assertThat(pf.host()).isEqualTo("node-b");
            // and node-b's VFs are now unavailable: the next VF is node-a's last
            assertThat(claim(s, "vm5", "vf:1", null).devices()).containsExactly("0000:81:02.0");
            assertThatThrownBy(() -> claim(s, "vm6", "vf:1", null)).isInstanceOf(PcipassException.Refused.class)
                    .hasMessageStartingWith("no host fits vm6's vf:1: closest is node-a, short of 1 of 1 vf");
            assertThat(new FleetClaims(s).claims(null)).extracting(FleetClaims.Claim::guest)
                    .containsExactly("vm1", "vm2", "vm3", "vm4", "vm5");
        }
    }

    @Test
    void aRefusalNamesTheClosestShortfallAndNumaPoliciesHold() throws Exception {
        try (FleetStore s = fresh()) {
            s.publish(FleetFixture.host("node-a", 2, 0));
            s.publish(FleetFixture.host("node-b", 3, 0));
            assertThatThrownBy(() -> claim(s, "big", "gpu:4", null)).isInstanceOf(PcipassException.Refused.class)
                    .hasMessage("no host fits big's gpu:4: closest is node-b, short of 1 of 4 gpu (4 devices wanted)");
            // required: only GPUs on the guest's cell 1 (node-a has one there, node-b one: 0000:3c)
            FleetClaims.Claim near = claim(s, "near", "gpu-near:1", List.of(1));
            assertThat(near.host()).isEqualTo("node-a");
            assertThat(near.devices()).containsExactly("0000:3c:00.0");
            assertThat(claim(s, "near2", "gpu-near:1", List.of(1)).host()).isEqualTo("node-b");
            assertThatThrownBy(() -> claim(s, "near3", "gpu-near:1", List.of(1)))
                    .hasMessageContaining("short of 1 of 1 gpu-near").hasMessageContaining("NUMA cells [1]");
            assertThat(s.upHostsWithOfferedDevices()).hasSize(2);
        }
    }

    @Test
    void oneClaimPerGuestReleaseAndExpiryFreeDevicesAndDownHostsAreNeverOffered() throws Exception {
        try (FleetStore s = fresh()) {
            s.publish(FleetFixture.host("node-a", 1, 0));
            s.publish(FleetFixture.host("node-b", 1, 0));
            FleetClaims claims = new FleetClaims(s);
            claim(s, "vm1", "gpu:1", null);
            assertThatThrownBy(() -> claim(s, "vm1", "gpu:1", null)).isInstanceOf(PcipassException.Refused.class)
                    .hasMessageContaining("vm1 already holds a claim on node-a");
            assertThat(claims.release("vm1", FleetClaims.CLAIM)).isTrue();
            assertThat(claims.release("vm1", FleetClaims.CLAIM)).isFalse();
            // a claim that expires frees its device for the next claimer
            assertThat(claim(s, "short", "gpu:1", null, Duration.ofMillis(1)).host()).isEqualTo("node-a");
            Thread.sleep(20);
            assertThat(claims.claims(FleetClaims.CLAIM)).isEmpty();
            assertThat(claim(s, "vm2", "gpu:1", null).host()).isEqualTo("node-a");
            // node-b goes down: its GPU is not offered
            try (Connection c = pg.connect("claims" + databases); Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE fleet_hosts SET heartbeat = heartbeat - 31000 WHERE name = 'node-b'");
            }
            assertThatThrownBy(() -> claim(s, "vm3", "gpu:1", null)).hasMessageContaining("no host fits");
            // consumed claims never expire; another guest's device is reported
            assertThat(claims.consume("vm4", "node-a", List.of("0000:3b:00.0"))).containsEntry("0000:3b:00.0", "vm2");
            assertThat(claims.consume("vm2", "node-a", List.of("0000:3b:00.0"))).isEmpty();
            assertThat(claims.claimOf("vm2", FleetClaims.CLAIM).consumed()).isNotNull();
            assertThat(claims.claimOf("vm2", FleetClaims.CLAIM).expires()).isNull();
        }
    }

    @Test
    void attachOnTheTargetMakesAnEvacuationClaimTheGuestsClaimConsumed() throws Exception {
        try (FleetStore s = fresh()) {
            s.publish(FleetFixture.host("node-a", 1, 0));
            s.publish(FleetFixture.host("node-b", 1, 0));
            FleetClaims claims = new FleetClaims(s);
            claim(s, "vm1", "gpu:1", null);
            FleetClaims.Claim evac = claims.claim("vm1", FleetClaims.EVACUATION, "gpu:1", null, "node-a",
                    FleetClaims.DEFAULT_TTL, Set.of("node-a"), ClaimPlanner.placer(FleetFixture.aliases()
                            .requests("gpu:1", null), null));
            assertThat(evac.host()).isEqualTo("node-b");
            // while the guest still holds its claim on node-a, the evacuation claim stays what it is
            assertThat(claims.consume("vm1", "node-b", evac.devices())).isEmpty();
            assertThat(claims.claimOf("vm1", FleetClaims.EVACUATION)).isNotNull();
            // the plan's order: release on node-a, then attach on node-b
            assertThat(claims.release("vm1", FleetClaims.CLAIM)).isTrue();
            assertThat(claims.consume("vm1", "node-b", evac.devices())).isEmpty();
            assertThat(claims.claimOf("vm1", FleetClaims.EVACUATION)).isNull();
            FleetClaims.Claim now = claims.claimOf("vm1", FleetClaims.CLAIM);
            assertThat(now.host()).isEqualTo("node-b");
            assertThat(now.devices()).isEqualTo(evac.devices());
            assertThat(now.consumed()).isNotNull();
            assertThat(now.fromHost()).isEqualTo("node-a");
        }
    }
}
