package worker

import "github.com/hookworker/hookworker/internal/config"

// Config is the process configuration New takes: the same struct, YAML
// keys and defaults as `hookworker run` reads (configs/hookworker.yaml
// documents every field). It is an alias, so a program that embeds the
// worker can build one without importing the internal package that
// defines it.
type Config = config.Config

// DefaultConfig is the configuration with every default filled in.
func DefaultConfig() Config { return config.Default() }

// LoadConfig reads a YAML file (if path is not empty) over the defaults
// and applies the environment's overrides (KEY=VALUE, as os.Environ gives
// them), as `hookworker run` does; call Validate on the result.
func LoadConfig(path string, environ []string) (Config, error) {
	l, err := config.Load(config.Options{Path: path, Environ: environ})
	if err != nil {
		return Config{}, err
	}
	return l.Config, nil
}
