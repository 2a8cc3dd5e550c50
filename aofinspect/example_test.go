package aofinspect_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aoftool/aoftool/aofinspect"
)

func ExampleScan() {
	aof := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv" // torn by a crash
	rep := aofinspect.Scan(context.Background(), strings.NewReader(aof), int64(len(aof)), aofinspect.Options{Path: "appendonly.aof.1.incr.aof"})
	fmt.Println(rep.Server.Verdict, rep.OKUpTo, *rep.Server.TruncatesAt)
	fmt.Println(rep.Server.LoadTruncatedNo)
	// Output:
	// loads-truncated 50 50
	// refuses: unexpected end of file
}

func ExampleScanner() {
	aof := "#TS:1700000000\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n"
	s := aofinspect.NewScanner(strings.NewReader(aof), aofinspect.Options{})
	for s.Next() {
		c := s.Command()
		if c.IsAnnotation() {
			fmt.Println("#TS", c.Timestamp, "at", c.Offset)
			continue
		}
		fmt.Println(string(c.Name), "at", c.Offset)
	}
	fmt.Println("err:", s.Err(), "ok_up_to:", s.OKUpTo())
	// Output:
	// #TS 1700000000 at 0
	// MULTI at 16
	// INCR at 31
	// EXEC at 52
	// err: <nil> ok_up_to: 66
}
