package dev.offload.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressRulesTest {

  private static InetAddress ip(String literal) {
    return AddressRules.literal(literal).orElseThrow(() -> new AssertionError(literal));
  }

  @ParameterizedTest
  @CsvSource({
      "0.0.0.0, the unspecified address",
      "0.1.2.3, the unspecified address",
      "127.0.0.1, a loopback address",
      "127.255.0.9, a loopback address",
      "10.0.0.1, a private address",
      "172.16.0.1, a private address",
      "172.31.255.255, a private address",
      "192.168.1.1, a private address",
      "169.254.169.254, a cloud metadata address",
      "169.254.1.1, a link-local address",
      "100.64.0.1, a shared (CGNAT) address",
      "100.127.255.255, a shared (CGNAT) address",
      "224.0.0.1, a multicast address",
      "239.255.255.250, a multicast address",
      "255.255.255.255, the broadcast address",
      "240.0.0.1, a reserved address",
      "::, the unspecified address",
      "::1, a loopback address",
      "[::1], a loopback address",
      "::ffff:127.0.0.1, a loopback address",
      "::ffff:10.1.2.3, a private address",
      "::ffff:169.254.169.254, a cloud metadata address",
      "::127.0.0.1, a loopback address",
      "64:ff9b::a9fe:a9fe, a cloud metadata address",
      "2002:0a00:0001::1, a private address",
      "fd00:ec2::254, a cloud metadata address",
      "fc00::1, a private address",
      "fd12:3456::1, a private address",
      "fe80::1, a link-local address",
      "fec0::1, a private address",
      "ff02::1, a multicast address",
  })
  void forbiddenAddressesAreRefusedWithTheirKind(String literal, String kind) {
    assertThat(AddressRules.none().refusal(ip(literal))).contains(kind);
  }

  @ParameterizedTest
  @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1",
      "169.253.1.1", "1.1.1.1", "2606:4700::1111", "2001:db8::1", "64:ff9b::808:808",
      "::ffff:8.8.8.8"})
  void publicAddressesMayBeCalled(String literal) {
    assertThat(AddressRules.none().refusal(ip(literal))).isEmpty();
  }

  @Test
  void theAllowListTrustsAddressesNetworksAndNames() {
    AddressRules rules = AddressRules.allowing(
        List.of(" 127.0.0.1 ", "10.1.0.0/16", "fd00::/8", "Api.Internal.", ""));
    assertThat(rules.refusal(ip("127.0.0.1"))).isEmpty();
    assertThat(rules.refusal(ip("127.0.0.2"))).contains("a loopback address");
    assertThat(rules.refusal(ip("10.1.200.3"))).isEmpty();
    assertThat(rules.refusal(ip("10.2.0.1"))).contains("a private address");
    assertThat(rules.refusal(ip("fd00:ec2::254"))).isEmpty();
    assertThat(rules.refusal(ip("fc00::1"))).contains("a private address");
    assertThat(rules.allowsName("api.internal")).isTrue();
    assertThat(rules.allowsName("API.INTERNAL.")).isTrue();
    assertThat(rules.allowsName("other.internal")).isFalse();
  }

  @Test
  void aBadAllowEntryIsNamed() {
    assertThatThrownBy(() -> AddressRules.allowing(List.of("10.0.0.0/40")))
        .hasMessageContaining("'10.0.0.0/40'");
    assertThatThrownBy(() -> AddressRules.allowing(List.of("http://x")))
        .hasMessageContaining("'http://x'");
    assertThatThrownBy(() -> AddressRules.allowing(List.of("nope/8")))
        .hasMessageContaining("'nope/8'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"metadata.google.internal", "METADATA.google.internal.",
      "metadata.goog", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "010.0.0.1"})
  void metadataNamesAndLegacyNumericFormsAreRefusedWithoutALookup(String host) {
    assertThat(AddressRules.none().nameRefusal(host)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"example.com", "localhost", "cafe.be", "1e100.net", "0x.example"})
  void ordinaryNamesAreLeftToTheirResolution(String host) {
    assertThat(AddressRules.none().nameRefusal(host)).isEmpty();
    assertThat(AddressRules.literal(host)).isEmpty();
  }

  @Test
  void anAllowedNameIsNotRefusedEvenWhenItLooksForbidden() {
    assertThat(AddressRules.allowing(List.of("metadata.google.internal"))
        .nameRefusal("metadata.google.internal")).isEmpty();
  }
}
