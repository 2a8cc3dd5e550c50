package rdbinspect
import ("context";"os";"testing")
func TestTmpBig(t *testing.T){ f,_:=os.Open("../bench/out/data/dump.rdb"); fi,_:=f.Stat(); for i:=0;i<5;i++ { rep:=Verify(context.Background(), f, fi.Size(), Options{}); if i==0 {t.Log(rep.Verdict)} } }
