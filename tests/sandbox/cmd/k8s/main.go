// Command k8s is a busybox-style binary for the choreoctl test sandbox.
//
// It hosts kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
// and etcd, and picks one by the basename of argv[0] (symlinks named after
// each component point at this binary). "k8s <component> args..." works too.
// Each process runs exactly one component.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	_ "time/tzdata" // CronJob time zones (as upstream kube-apiserver/KCM)

	"go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl auth plugins (as upstream kubectl)
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

var components = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd"}

func main() {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	args := os.Args
	if name == "k8s" {
		if len(os.Args) < 2 {
			fmt.Fprintf(os.Stderr, "usage: k8s <%s> [args...]\n", strings.Join(components, "|"))
			os.Exit(2)
		}
		name = os.Args[1]
		args = os.Args[1:]
		os.Args = args
	}
	switch name {
	case "kube-apiserver":
		// The apiserver command installs its own signal handler; do not
		// call SetupSignalContext here (a second call panics).
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(kcm.NewControllerManagerCommand()))
	case "kube-scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "kubectl":
		logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) //nolint:errcheck
		if err := cli.RunNoErrOutput(kubectlcmd.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
	case "etcd":
		etcdmain.Main(args)
	default:
		fmt.Fprintf(os.Stderr, "k8s: unknown component %q (want one of %s)\n", name, strings.Join(components, ", "))
		os.Exit(2)
	}
}
