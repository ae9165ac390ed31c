/* cli/detect.h - what `detect` (training, cli/detect.c) and `detect predict`
 * (cli/detect_predict.c) share: the checkpoint's format tag. */
#ifndef SG_CLI_DETECT_H
#define SG_CLI_DETECT_H

#define SG_DETECT_FORMAT "steelgrad-detect-1"

int cmd_detect_predict(int argc, char **argv);

#endif
