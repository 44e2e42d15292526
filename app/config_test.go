package app

import (
	"fmt"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	got, err := ParseTrustedProxies(" 127.0.0.1, 10.1.2.3/8,::1 ,, 2001:db8::/32, ::ffff:192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(got); s != "[127.0.0.1/32 10.0.0.0/8 ::1/128 2001:db8::/32 192.0.2.1/32]" {
		t.Fatalf("ParseTrustedProxies = %s", s)
	}
	if got, err := ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Fatalf("empty list = %v, %v", got, err)
	}
	for _, bad := range []string{"proxy.example.com", "10.0.0.0/33", "10.0.0.1:80", "fe80::1%eth0"} {
		if _, err := ParseTrustedProxies("127.0.0.1," + bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted it", bad)
		}
	}
}
