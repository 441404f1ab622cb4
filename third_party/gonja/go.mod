module github.com/nikolalohinski/gonja/v2

go 1.24.4
